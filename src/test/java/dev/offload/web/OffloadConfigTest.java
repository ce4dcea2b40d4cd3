package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OffloadConfigTest {

  private static OffloadConfig load(Map<String, String> sys, Map<String, String> env,
      Map<String, String> webXml) {
    return OffloadConfig.load(OffloadConfig.Source.standard(sys::get, env, webXml::get));
  }

  @Test
  void systemPropertyWinsOverEnvironmentWhichWinsOverWebXml() {
    OffloadConfig c = load(
        Map.of("offload.workers", "7"),
        Map.of("OFFLOAD_WORKERS", "5", "OFFLOAD_QUEUE_CAPACITY", "50"),
        Map.of("offload.workers", "3", "offload.queue.capacity", "40",
            "offload.result.ttl.seconds", "30"));
    assertThat(c.engine().workers()).isEqualTo(7);
    assertThat(c.engine().queueCapacity()).isEqualTo(50);
    assertThat(c.engine().defaultResultTtl()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void unsetSettingsTakeTheirDefaults() {
    OffloadConfig c = load(Map.of(), Map.of(), Map.of());
    assertThat(c.engine().queueCapacity()).isEqualTo(10_000);
    assertThat(c.web().bodyMaxBytes()).isEqualTo(1_048_576);
    assertThat(c.web().waitMaxSeconds()).isEqualTo(60);
    assertThat(c.store().kind()).isEqualTo("memory");
  }

  @Test
  void anInvalidValueNamesTheSetting() {
    assertThatThrownBy(() -> load(Map.of(), Map.of("OFFLOAD_WORKERS", "many"), Map.of()))
        .isInstanceOf(OffloadConfig.InvalidConfigException.class)
        .hasMessageContaining("offload.workers").hasMessageContaining("'many'");
    assertThatThrownBy(() -> load(Map.of(), Map.of(), Map.of("offload.queue.capacity", "0")))
        .hasMessageContaining("offload.queue.capacity").hasMessageContaining("between 1");
    assertThatThrownBy(() -> load(Map.of(), Map.of(),
            Map.of("offload.result.ttl.seconds", "100", "offload.result.ttl.max.seconds", "10")))
        .hasMessageContaining("offload.result.ttl.seconds");
    assertThatThrownBy(() -> load(Map.of(), Map.of(), Map.of("offload.store", "redis")))
        .hasMessageContaining("offload.store");
    assertThatThrownBy(() -> load(Map.of(), Map.of(), Map.of("offload.store", "postgres")))
        .hasMessageContaining("offload.jdbc.url");
  }

  @Test
  void environmentNamesAreUpperCaseWithUnderscores() {
    assertThat(OffloadConfig.envName("offload.result.ttl.max.seconds"))
        .isEqualTo("OFFLOAD_RESULT_TTL_MAX_SECONDS");
  }

  @Test
  void thePasswordIsNeverPrinted() {
    OffloadConfig c = load(Map.of(), Map.of(), Map.of("offload.store", "postgres",
        "offload.jdbc.url", "jdbc:postgresql://db/offload", "offload.jdbc.password", "hunter2"));
    assertThat(c.toString()).doesNotContain("hunter2");
  }
}
