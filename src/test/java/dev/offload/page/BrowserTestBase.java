package dev.offload.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * One Offload (embedded Jetty, under the non-root context path {@code /offload} so the page's
 * relative URLs are proven) per test class, and one fresh headless Chromium per test.
 *
 * <p>The browser is Debian's {@code chromium} driven by {@code chromium-driver}; nothing is
 * downloaded. When they are missing the tests are skipped on a developer machine and fail when
 * the environment variable {@code CI} is set, so CI can never pass by skipping them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BrowserTestBase {
  static final Path CHROMIUM =
      Path.of(System.getProperty("offload.test.chromium", "/usr/bin/chromium"));
  static final Path CHROMEDRIVER =
      Path.of(System.getProperty("offload.test.chromedriver", "/usr/bin/chromedriver"));
  static final Path SCREENSHOTS = Path.of("target", "screenshots");

  protected EmbeddedOffload app;
  protected Http http;
  protected ChromeDriver driver;
  protected StatusPage page;
  private Path profile;
  private String screenshotName;

  /** Context params of this class's Offload; two workers unless a class says otherwise. */
  protected Map<String, String> params() {
    return Map.of("offload.workers", "2");
  }

  /** More for this class's Offload: users of the container's realm, say. */
  protected void configure(EmbeddedOffload.Builder builder) {}

  /** The window of this class's browser. */
  protected int[] windowSize() {
    return new int[] {1280, 900};
  }

  @BeforeAll
  void startOffload() {
    requireBrowser();
    EmbeddedOffload.Builder builder = EmbeddedOffload.builder().contextPath("/offload");
    params().forEach(builder::param);
    configure(builder);
    app = builder.start();
    http = new Http(app.baseUri());
  }

  @AfterAll
  void stopOffload() {
    if (app != null) {
      app.close();
    }
  }

  @BeforeEach
  void startBrowser(TestInfo info) throws IOException {
    screenshotName = info.getTestMethod().orElseThrow().getName();
    profile = Files.createTempDirectory("offload-chromium-");
    int[] size = windowSize();
    driver = newDriver(profile, size);
    if (size[0] < 500) {
      // Headless Chromium keeps windows at least 500 px wide: emulate the phone's viewport.
      driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of(
          "width", size[0], "height", size[1], "deviceScaleFactor", 1, "mobile", true));
    }
    page = new StatusPage(driver, app.baseUri().toString() + "/");
  }

  @AfterEach
  void stopBrowser() throws IOException {
    try {
      if (driver != null) {
        screenshot(screenshotName);
      }
    } finally {
      if (driver != null) {
        driver.quit();
      }
      deleteTree(profile);
    }
  }

  static void requireBrowser() {
    if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) {
      return;
    }
    String why = "the browser tests need " + CHROMIUM + " and " + CHROMEDRIVER
        + " (apt-get install chromium chromium-driver)";
    if (System.getenv("CI") != null) {
      fail("CI is set and " + why);
    }
    Assumptions.abort("skipped: " + why);
  }

  static ChromeDriver newDriver(Path profile, int[] size) {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--user-data-dir=" + profile.toAbsolutePath(),
        "--window-size=" + size[0] + "," + size[1]);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    // The driver is given explicitly, so Selenium Manager never looks for (or downloads) one.
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    return driver;
  }

  /**
   * Signs this test's browser in with BASIC: every request the page makes from now on (the page
   * itself, fetch, EventSource) carries the Authorization header, as after the browser's own
   * login dialog, which a headless browser cannot fill in.
   */
  protected void signIn(String user, String password) {
    driver.executeCdpCommand("Network.enable", Map.of());
    driver.executeCdpCommand("Network.setExtraHTTPHeaders",
        Map.of("headers", Map.of("Authorization", basic(user, password))));
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString(
        (user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** Saves what the browser shows to {@code target/screenshots/<name>.png}. */
  protected Path screenshot(String name) {
    try {
      Files.createDirectories(SCREENSHOTS);
      Path file = SCREENSHOTS.resolve(name + ".png");
      Path shot = driver.getScreenshotAs(OutputType.FILE).toPath();
      Files.copy(shot, file, StandardCopyOption.REPLACE_EXISTING);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The browser console since the last call, errors (SEVERE) only. */
  protected List<String> consoleErrors() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
        .map(LogEntry::toString)
        .toList();
  }

  protected void assertNoConsoleErrors() {
    assertThat(consoleErrors()).as("browser console errors").isEmpty();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
