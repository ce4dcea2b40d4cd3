package dev.offload.page;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.WebElement;

/**
 * The page as each role sees it, signed in with BASIC against the container's realm
 * (offload.auth=container): a user, a viewer, an admin, and someone with no Offload role.
 */
class StatusPageOwnersIT extends BrowserTestBase {
  private static final String PASSWORD = "secret-pw";

  private final List<String[]> cleanup = new ArrayList<>(); // {owner, id}

  @Override
  protected void configure(EmbeddedOffload.Builder builder) {
    builder.user("alice", PASSWORD, "offload-user")
        .user("bob", PASSWORD, "offload-user")
        .user("vera", PASSWORD, "offload-viewer")
        .user("ada", PASSWORD, "offload-admin")
        .user("mallory", PASSWORD);
  }

  @AfterEach
  void cancelLeftovers() {
    cleanup.forEach(c -> as(c[0], HttpRequest.newBuilder(http.url("/api/tasks/" + c[1]))
        .DELETE()));
    cleanup.clear();
  }

  @Test
  void userSeesOnlyOwnTasksAndCancelsThem() {
    String bobs = submit("bob", "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}");
    String alicesNoop = submit("alice", "{\"type\":\"noop\",\"input\":{\"by\":\"http\"}}");
    signIn("alice", PASSWORD);
    page.open();

    assertThat(page.find("who-owner").getText()).isEqualTo("alice");
    assertThat(page.find("who-role").getText()).isEqualTo("user");
    page.waitForRowStatus(alicesNoop, "success");
    assertThat(page.hasRow(bobs)).as("bob's task on alice's page").isFalse();
    assertThat(page.findAll("owner-heading")).as("owner column for one owner").isEmpty();
    assertThat(page.findAll("task-owner")).isEmpty();

    String id = page.submit("sleep", "{\"millis\": 60000}", Map.of());
    cleanup.add(new String[] {"alice", id});
    page.waitForDetailStatus("running");
    assertThat(page.find("detail-owner").getText()).isEqualTo("alice");
    page.waiting().until(d -> page.find("detail-cancel").isDisplayed());
    page.find("detail-cancel").click();
    page.waitForDetailStatus("canceled");
    page.waitForRowStatus(id, "canceled");
    assertThat(as("alice", HttpRequest.newBuilder(http.url("/api/tasks/" + id)).GET())
        .json().getString("status")).isEqualTo("canceled");

    // A later refresh still leaves bob's task out: the list itself is alice's.
    page.waiting().until(d -> page.requests("/api/tasks\\?.*") >= 3);
    assertThat(page.hasRow(bobs)).isFalse();
    assertThat(page.findAll("task-row")).extracting(r -> r.getAttribute("data-id"))
        .containsExactly(id, alicesNoop);
    assertNoConsoleErrors();
  }

  @Test
  void viewerGetsAReadOnlyPageWithEveryonesTasksAndTheirOwners() {
    String alices = submit("alice", "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}");
    String bobs = submit("bob", "{\"type\":\"noop\",\"input\":{\"from\":\"bob\"}}");
    signIn("vera", PASSWORD);
    page.open();

    assertThat(page.find("who-owner").getText()).isEqualTo("vera");
    assertThat(page.find("who-role").getText()).isEqualTo("viewer");
    // Absent, not disabled: nothing to submit with, nothing to cancel with.
    assertThat(page.findAll("submit-form")).isEmpty();
    assertThat(page.findAll("submit-button")).isEmpty();
    assertThat(page.findAll("detail-cancel")).isEmpty();

    page.waitForRowStatus(bobs, "success");
    page.waitForRowStatus(alices, "running");
    assertThat(page.findAll("owner-heading")).hasSize(1);
    assertThat(owner(alices)).isEqualTo("alice");
    assertThat(owner(bobs)).isEqualTo("bob");

    // The list carries summaries; the panel reads the task in full, input included.
    page.openRow(alices);
    page.waitForDetailStatus("running");
    assertThat(page.find("detail-owner").getText()).isEqualTo("alice");
    page.waiting().until(d -> page.find("detail-input").getText().contains("\"millis\": 60000"));
    assertThat(page.requests("/api/tasks/" + alices)).as("GET of the opened task").isPositive();
    assertThat(page.requests("/api/tasks\\?.*view=full.*")).as("full lists").isZero();
    assertThat(page.findAll("detail-cancel")).isEmpty();
    screenshot("viewer-read-only");

    page.openRow(bobs);
    page.waitForDetailStatus("success");
    page.waiting().until(d -> page.find("detail-result").getText().contains("\"from\": \"bob\""));
    assertNoConsoleErrors();
  }

  @Test
  void adminSeesEveryoneAndCancelsAnotherUsersTask() {
    String bobs = submit("bob", "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}");
    String alices = submit("alice", "{\"type\":\"noop\",\"input\":{}}");
    signIn("ada", PASSWORD);
    page.open();

    assertThat(page.find("who-owner").getText()).isEqualTo("ada");
    assertThat(page.find("who-role").getText()).isEqualTo("admin");
    assertThat(page.findAll("submit-form")).hasSize(1);
    page.waitForRowStatus(bobs, "running");
    page.waitForRowStatus(alices, "success");
    assertThat(owner(bobs)).isEqualTo("bob");
    assertThat(owner(alices)).isEqualTo("alice");

    page.openRow(bobs);
    page.waitForDetailStatus("running");
    page.waiting().until(d -> page.find("detail-cancel").isDisplayed());
    screenshot("admin-before-cancel");
    page.find("detail-cancel").click();
    page.waitForDetailStatus("canceled");
    page.waitForRowStatus(bobs, "canceled");
    assertThat(as("bob", HttpRequest.newBuilder(http.url("/api/tasks/" + bobs)).GET())
        .json().getString("status")).isEqualTo("canceled");
    assertNoConsoleErrors();
  }

  @Test
  void someoneWithoutAnOffloadRoleIsToldSoInsteadOfAnEmptyPage() {
    signIn("mallory", PASSWORD);
    WebElement problem = page.openExpectingProblem();

    assertThat(problem.getText()).contains("No Offload role", "mallory");
    assertThat(problem.getAttribute("data-kind")).isEqualTo("no-role");
    assertThat(page.find("tasks-card").isDisplayed()).isFalse();
    assertThat(page.findAll("task-row")).isEmpty();
    assertThat(page.find("who").isDisplayed()).isFalse();
    // Health answers such a caller with its status only: no empty gauges beside it.
    page.waiting().until(d -> "up".equals(page.find("health-status").getText()));
    assertThat(page.find("health-workers").isDisplayed()).isFalse();
  }

  private String owner(String id) {
    return page.row(id).findElement(StatusPage.testId("task-owner")).getText();
  }

  /** Submits over HTTP as {@code owner}; canceled after the test. */
  private String submit(String owner, String body) {
    Http.Response r = as(owner, HttpRequest.newBuilder(http.url("/api/tasks"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
    assertThat(r.status()).as("submit as %s: %s", owner, r).isEqualTo(202);
    String id = r.json().getString("id");
    cleanup.add(new String[] {owner, id});
    return id;
  }

  private Http.Response as(String owner, HttpRequest.Builder request) {
    return http.send(request.header("Authorization", basic(owner, PASSWORD)));
  }
}
