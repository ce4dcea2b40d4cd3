package dev.offload.page;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The status page as a test sees it: found by data-testid, waited on, never slept on. */
final class StatusPage {
  static final Duration WAIT = Duration.ofSeconds(20);

  private final WebDriver driver;
  private final String url;

  StatusPage(WebDriver driver, String url) {
    this.driver = driver;
    this.url = url;
  }

  static By testId(String id) {
    return By.cssSelector("[data-testid='" + id + "']");
  }

  WebDriverWait waiting() {
    return waiting(WAIT);
  }

  WebDriverWait waiting(Duration timeout) {
    WebDriverWait wait = new WebDriverWait(driver, timeout, Duration.ofMillis(50));
    wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    return wait;
  }

  /**
   * Opens the page and waits until it knows who is signed in, the list has answered once and,
   * when there is a form (not for a viewer), the types are loaded.
   */
  StatusPage open() {
    return open("");
  }

  /** Opens the page at an address after its own, {@code #task=<id>} say, and waits as above. */
  StatusPage open(String fragment) {
    driver.get(url + fragment);
    waiting().until(d -> find("who").isDisplayed());
    waiting().until(d -> !"connecting".equals(find("live-mode").getAttribute("data-mode")));
    waiting().until(d -> findAll("submit-type").stream()
        .allMatch(type -> !new Select(type).getOptions().isEmpty()));
    return this;
  }

  /** Opens the page when it has nothing to show but why (signed out, no role). */
  WebElement openExpectingProblem() {
    driver.get(url);
    return waiting().until(ExpectedConditions.visibilityOfElementLocated(
        testId("session-problem")));
  }

  /** Opens the detail panel of a task from its row and waits until it shows that task. */
  void openRow(String id) {
    row(id).findElement(testId("task-open")).click();
    waiting().until(d -> id.equals(find("detail").getAttribute("data-id"))
        && find("detail-status").getAttribute("data-status") != null);
  }

  boolean hasRow(String id) {
    return !driver.findElements(
        By.cssSelector("[data-testid='task-row'][data-id='" + id + "']")).isEmpty();
  }

  WebElement find(String testId) {
    return driver.findElement(testId(testId));
  }

  List<WebElement> findAll(String testId) {
    return driver.findElements(testId(testId));
  }

  Object script(String js, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(js, args);
  }

  /** Fills the form; blank numbers keep the server's defaults. */
  void fill(String type, String inputJson, Map<String, String> numbers) {
    new Select(find("submit-type")).selectByValue(type);
    WebElement input = find("submit-input");
    input.clear();
    input.sendKeys(inputJson);
    numbers.forEach((testId, value) -> {
      WebElement field = find(testId);
      if ("select".equals(field.getTagName())) {
        new Select(field).selectByValue(value);
      } else {
        field.clear();
        field.sendKeys(value);
      }
    });
  }

  /** Submits through the form and returns the new task's id, read from the detail panel. */
  String submit(String type, String inputJson, Map<String, String> numbers) {
    fill(type, inputJson, numbers);
    find("submit-button").click();
    WebElement submitted =
        waiting().until(ExpectedConditions.visibilityOfElementLocated(testId("submitted")));
    String shortId = submitted.findElement(By.tagName("button")).getText();
    WebElement detail = find("detail");
    waiting().until(d -> detail.isDisplayed()
        && String.valueOf(detail.getAttribute("data-id")).startsWith(shortId));
    return detail.getAttribute("data-id");
  }

  /** The address of the page, without a fragment. */
  String url() {
    return url;
  }

  /** Waits until the detail panel shows the task and its state is known. */
  void waitForDetail(String id) {
    waiting().until(d -> find("detail").isDisplayed()
        && id.equals(find("detail").getAttribute("data-id"))
        && find("detail-status").getAttribute("data-status") != null);
  }

  String detailStatus() {
    return find("detail").getAttribute("data-status");
  }

  void waitForDetailStatus(String status) {
    waiting().until(d -> status.equals(detailStatus())
        && status.equals(find("detail-status").getText()));
  }

  WebElement row(String id) {
    return driver.findElement(By.cssSelector("[data-testid='task-row'][data-id='" + id + "']"));
  }

  void waitForRowStatus(String id, String status) {
    waiting().until(d -> {
      List<WebElement> rows =
          d.findElements(By.cssSelector("[data-testid='task-row'][data-id='" + id + "']"));
      return !rows.isEmpty() && status.equals(rows.get(0).getAttribute("data-status"));
    });
  }

  /**
   * Completed requests whose path after the context path (with its query) matches, from the
   * page's Resource Timing entries.
   */
  long requests(String pathRegex) {
    Object n = script("""
        const re = new RegExp('^' + arguments[0] + '$');
        return performance.getEntriesByType('resource')
            .map(e => new URL(e.name).pathname.replace(/^\\/offload/, '') + new URL(e.name).search)
            .filter(p => re.test(p)).length;
        """, pathRegex);
    return ((Number) n).longValue();
  }

  String liveMode() {
    return find("live-mode").getAttribute("data-mode");
  }

  /**
   * Records, inside the page, every state the detail panel shows (status and progress percent),
   * so a test sees transitions however quickly they pass.
   */
  void recordDetailStates() {
    script("""
        window.__states = [];
        const detail = document.querySelector("[data-testid='detail']");
        const bar = document.querySelector("[data-testid='detail-progress']");
        const note = () => {
          const s = detail.dataset.status || null;
          const p = Number(bar.getAttribute('aria-valuenow'));
          const last = window.__states[window.__states.length - 1];
          if (s && (!last || last.status !== s || last.percent !== p)) {
            window.__states.push({status: s, percent: p});
          }
        };
        new MutationObserver(note).observe(detail,
            {attributes: true, subtree: true, childList: true, characterData: true});
        note();
        """);
  }

  @SuppressWarnings("unchecked")
  List<Map<String, Object>> recordedStates() {
    return (List<Map<String, Object>>) script("return window.__states;");
  }
}
