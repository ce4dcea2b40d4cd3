package dev.offload.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offload.testing.Http;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;

/** Server values are shown as text and never run; the page is served locked down. */
class StatusPageSafetyIT extends BrowserTestBase {
  static final String IMG = "<img src=x onerror=alert(1)>";
  static final String SCRIPT = "</script><script>alert(2)</script>";
  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; "
      + "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
      + "form-action 'self'";

  @Test
  void pageAndItsFilesCarryTheSecurityHeaders() throws IOException {
    List<String> paths = new ArrayList<>(List.of("/", "/app.css", "/favicon.svg"));
    paths.addAll(modules());
    assertThat(paths).contains("/js/main.js");
    for (String path : paths) {
      Http.Response r = http.get(path);
      assertThat(r.status()).as(path).isEqualTo(200);
      assertThat(r.header("Content-Security-Policy")).as(path).isEqualTo(CSP);
      assertThat(r.header("X-Content-Type-Options")).as(path).isEqualTo("nosniff");
      if (path.endsWith(".js")) {
        // A module runs only when served as JavaScript; it imports only its siblings, and no
        // server value can reach the page as markup.
        assertThat(r.header("Content-Type")).as(path).contains("javascript");
        assertThat(r.body()).as(path)
            .doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write")
            .doesNotContainPattern("\\beval\\(|new Function")
            .doesNotContain("http://", "https://")
            .doesNotContainPattern("from '(?!\\./)");
      }
    }
    assertThat(http.get("/").header("Content-Type")).startsWith("text/html");
    assertThat(http.get("/app.css").header("Content-Type")).startsWith("text/css");
    // Nothing inline for the policy to forbid, nothing from another origin.
    String html = http.get("/").body();
    assertThat(html).doesNotContainPattern("<script(?![^>]*\\bsrc=)")
        .doesNotContainPattern("\\son[a-z]+=").doesNotContain("style=")
        .doesNotContain("http://").doesNotContain("https://").doesNotContain("//cdn");
  }

  /** Every module of the page, as served: {@code /js/main.js}, {@code /js/api.js}, ... */
  private static List<String> modules() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("webapp", "js"))) {
      return files.map(f -> "/js/" + f.getFileName()).filter(p -> p.endsWith(".js")).sorted()
          .toList();
    }
  }

  @Test
  void markupInInputAndResultIsShownAsTextAndRunsNothing() {
    page.open();
    String input = Http.json(Map.of("html", IMG, "script", SCRIPT));
    String id = page.submit("noop", input, Map.of());

    page.waitForDetailStatus("success");
    String shownInput = page.find("detail-input").getText();
    String shownResult = page.find("detail-result").getText();
    assertThat(shownInput).contains(IMG, SCRIPT);
    assertThat(shownResult).contains(IMG, SCRIPT);
    assertThat(page.script("return document.querySelectorAll('img').length;")).isEqualTo(0L);
    assertThat(page.script("return document.scripts.length;")).isEqualTo(1L);
    assertThatThrownBy(() -> driver.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
    page.waitForRowStatus(id, "success");
    assertNoConsoleErrors();
  }

  @Test
  void markupInAProblemDetailIsShownAsText() {
    page.open();
    // A type the server does not know, named with markup: its 422 problem is shown as text.
    page.script("""
        const o = document.createElement('option');
        o.value = o.textContent = arguments[0];
        document.querySelector("[data-testid='submit-type']").append(o);
        """, IMG);
    new Select(page.find("submit-type")).selectByValue(IMG);
    page.find("submit-button").click();

    WebElement problem = page.waiting().until(d -> page.find("submit-result")
        .findElements(StatusPage.testId("problem")).stream().findFirst().orElse(null));
    assertThat(problem.getText()).contains("(422)", IMG, "noop", "pbkdf2", "sleep");
    assertThat(page.script("return document.querySelectorAll('img').length;")).isEqualTo(0L);
    assertThatThrownBy(() -> driver.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
  }

  @Test
  void aWholeSessionLeavesNoConsoleErrors() {
    page.open();
    String first = page.submit("noop", "{\"n\": 1}", Map.of());
    page.waitForDetailStatus("success");
    String second = page.submit("sleep", "{\"millis\": 400}", Map.of());
    page.waitForDetailStatus("success");
    page.waitForRowStatus(first, "success");

    // Open the first task from the table with the keyboard, close it with Escape.
    WebElement open = page.row(first).findElement(StatusPage.testId("task-open"));
    open.sendKeys(Keys.ENTER);
    page.waiting().until(d -> first.equals(page.find("detail").getAttribute("data-id")));
    new Actions(driver).sendKeys(Keys.ESCAPE).perform();
    page.waiting().until(d -> !page.find("detail").isDisplayed());

    new Select(page.find("filter-type")).selectByValue("sleep");
    page.waiting().until(d -> page.findAll("task-row").size() == 1);
    assertThat(page.row(second).getAttribute("data-status")).isEqualTo("success");
    new Select(page.find("filter-type")).selectByValue("");
    new Select(page.find("filter-status")).selectByValue("success");
    page.waiting().until(d -> page.findAll("task-status").stream()
        .allMatch(b -> "success".equals(b.getText())));
    assertThat(page.findAll("task-row")).extracting(r -> r.getAttribute("data-id"))
        .contains(first, second);

    assertThat(page.find("health-status").getText()).isEqualTo("up");
    assertThat(page.find("health-workers").getText()).matches("\\d+ / 2");
    assertThat(consoleErrors()).as("console errors of the whole session").isEmpty();
  }
}
