package dev.offload.page;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;

/** A phone-sized window, used with the keyboard only. */
class StatusPageLayoutIT extends BrowserTestBase {

  @Override
  protected int[] windowSize() {
    return new int[] {390, 844};
  }

  @Test
  void phoneSizedWindowWorksWithTheKeyboardAlone() {
    page.open();
    assertThat(page.script("return window.innerWidth;")).isEqualTo(390L);
    assertThat(horizontalOverflow()).as("page wider than the window").isFalse();

    // Tab from the top of the page to the submit button: every field on the way is reachable.
    int tabs = 0;
    while (!"submit-button".equals(activeTestId()) && tabs < 20) {
      new Actions(driver).sendKeys(Keys.TAB).perform();
      tabs++;
    }
    assertThat(activeTestId()).isEqualTo("submit-button");
    new Actions(driver).sendKeys(Keys.ENTER).perform();

    page.waiting().until(d -> page.find("detail").isDisplayed());
    page.waiting().until(d -> "detail-heading".equals(activeId()));
    String id = page.find("detail").getAttribute("data-id");
    page.waitForDetailStatus("success");
    assertThat(horizontalOverflow()).isFalse();
    screenshot("narrow-detail");

    new Actions(driver).sendKeys(Keys.ESCAPE).perform();
    page.waiting().until(d -> !page.find("detail").isDisplayed());
    page.waitForRowStatus(id, "success");
    WebElement open = page.row(id).findElement(StatusPage.testId("task-open"));
    assertThat(driver.switchTo().activeElement()).isEqualTo(open);

    page.submit("noop", "{\"from\": \"phone\"}", Map.of());
    page.waitForDetailStatus("success");
    page.find("detail-close").click();
    page.waiting().until(d -> page.findAll("task-row").size() == 2);
    assertThat(horizontalOverflow()).isFalse();
    assertNoConsoleErrors();
  }

  private boolean horizontalOverflow() {
    return (Boolean) page.script(
        "return document.documentElement.scrollWidth > window.innerWidth;");
  }

  private String activeTestId() {
    return (String) page.script("return document.activeElement.dataset.testid || null;");
  }

  private String activeId() {
    return (String) page.script("return document.activeElement.id || null;");
  }
}
