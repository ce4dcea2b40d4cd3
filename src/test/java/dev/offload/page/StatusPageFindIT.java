package dev.offload.page;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;

/** Finding a task: the search box, a task's own link, and Back and Forward. */
class StatusPageFindIT extends BrowserTestBase {

  @Test
  void searchOpensATaskByItsIdOrByItsIdempotencyKey() {
    String key = "order-" + System.nanoTime();
    String keyed = http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":{\"order\":42}}",
        Map.of("Idempotency-Key", key)).json().getString("id");
    String other = http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":{\"n\":1}}")
        .json().getString("id");
    page.open();

    // An id (in capitals, with blanks around it: as pasted) opens that task.
    search("  " + other.toUpperCase(Locale.ROOT) + " ");
    page.waitForDetail(other);
    assertThat((String) page.script("return location.hash;")).isEqualTo("#task=" + other);

    // Anything else is an idempotency key.
    search(key);
    page.waitForDetail(keyed);
    page.waiting().until(d -> page.find("detail-input").getText().contains("\"order\": 42"));
    screenshot("search-by-key");

    assertNoConsoleErrors(); // what follows fails on purpose: the browser logs the 404

    search("no-such-key");
    page.waiting().until(d -> !page.findAll("search-none").isEmpty());
    assertThat(page.find("search-result").getText()).contains("no-such-key");
    assertThat(page.find("detail").getAttribute("data-id")).as("the panel stays").isEqualTo(keyed);

    search("00000000-0000-4000-8000-000000000000");
    page.waiting().until(d -> page.find("search-result").getText().contains("No task 00000000"));
  }

  @Test
  void aTasksLinkOpensItAndBackAndForwardFollowThePanel() {
    String first = http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":{\"n\":1}}")
        .json().getString("id");
    String second = http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":{\"n\":2}}")
        .json().getString("id");

    // Opened with the link: the task opens by itself.
    page.open("#task=" + first);
    page.waitForDetail(first);
    page.waitForDetailStatus("success");
    String link = page.find("detail-link").getAttribute("href");
    assertThat(link).isEqualTo(page.url() + "#task=" + first);
    assertThat(page.find("detail-link").getText()).isEqualTo(link);
    page.find("detail-copy").click();
    page.waiting().until(d -> page.find("detail-message").getText().matches(
        "Link copied\\.|The link is selected.*"));
    screenshot("deep-link");

    // Every task opened, and the panel closed, is one step of the browser's history.
    page.waitForRowStatus(second, "success");
    page.openRow(second);
    assertThat((String) page.script("return location.hash;")).isEqualTo("#task=" + second);
    driver.navigate().back();
    page.waitForDetail(first);
    driver.navigate().forward();
    page.waitForDetail(second);
    new Actions(driver).sendKeys(Keys.ESCAPE).perform();
    page.waiting().until(d -> !page.find("detail").isDisplayed());
    assertThat((String) page.script("return location.hash;")).isEmpty();
    driver.navigate().back();
    page.waitForDetail(second);

    assertNoConsoleErrors(); // what follows fails on purpose: the browser logs the 404

    // A link to a task the server no longer has (here: an address edited in place) says so.
    page.open("#task=00000000-0000-4000-8000-000000000000");
    page.waiting().until(d -> page.find("detail").isDisplayed()
        && page.find("detail-message").getText().contains("(404)"));
    assertThat(page.find("detail-status").getText()).isEqualTo("not found");
    assertThat(page.find("detail-progress").getAttribute("aria-valuenow"))
        .as("nothing of the task shown before").isEqualTo("0");
    assertThat(page.find("detail-created").getText()).isEqualTo("—");
  }

  private void search(String text) {
    WebElement box = page.find("search-input");
    box.clear();
    box.sendKeys(text, Keys.ENTER);
  }
}
