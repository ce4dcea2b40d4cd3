package dev.offload.web.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import dev.offload.engine.Health;
import dev.offload.store.TaskStore;
import dev.offload.testing.Promtool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus files Offload ships in {@code docs/prometheus} (and the README shows): valid
 * for Prometheus's own checker, naming only metrics Offload serves, and shown by the README as
 * they are.
 */
class PrometheusFilesTest {
  private static final Path RULES = Path.of("docs", "prometheus", "offload-alerts.yml");
  private static final Path CONFIG = Path.of("docs", "prometheus", "prometheus.yml");

  @TempDir
  Path dir;

  @Test
  void theAlertRulesPassPromtool() {
    Promtool.Result r = Promtool.checkRules(RULES);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS: 3 rules found");
  }

  @Test
  void theScrapeConfigurationPassesPromtool() throws IOException {
    // promtool insists that the credential files exist: the same text, pointed at files here.
    Files.writeString(dir.resolve("offload-password"), "prometheus-pw");
    Files.writeString(dir.resolve("offload-token"), "a-token");
    Files.copy(RULES, dir.resolve("offload-alerts.yml"));
    String config = Files.readString(CONFIG, StandardCharsets.UTF_8)
        .replace("/etc/prometheus/", dir.toAbsolutePath() + "/");
    Path copy = dir.resolve("prometheus.yml");
    Files.writeString(copy, config);

    Promtool.Result r = Promtool.checkConfig(copy);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS: 3 rules found");
  }

  @Test
  void theRulesNameOnlyMetricsOffloadServes() throws IOException {
    Set<String> named = new TreeSet<>();
    Matcher m = Pattern.compile("offload_\\w+")
        .matcher(Files.readString(RULES, StandardCharsets.UTF_8));
    while (m.find()) {
      named.add(m.group());
    }
    assertThat(named).isNotEmpty();
    try (OffloadMetrics metrics = new OffloadMetrics(List.of("sleep"))) {
      metrics.engine(() -> new Health(Health.UP, "memory", 0, 1, 0, 1, 0, 0, 0, 0, 0,
          new Health.Limits(1, 1, 1), java.util.Map.of()));
      metrics.timed(mock(TaskStore.class));
      String scrape = metrics.scrape();
      assertThat(named).allSatisfy(name -> assertThat(scrape).contains("\n" + name));
    }
  }

  @Test
  void theReadmeShowsBothFilesAsTheyAre() throws IOException {
    String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
    assertThat(readme).contains(Files.readString(RULES, StandardCharsets.UTF_8));
    assertThat(readme).contains(Files.readString(CONFIG, StandardCharsets.UTF_8));
  }
}
