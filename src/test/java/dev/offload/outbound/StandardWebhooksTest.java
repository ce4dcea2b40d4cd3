package dev.offload.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StandardWebhooksTest {

  /**
   * The example the Standard Webhooks reference libraries test against (also what Python's
   * hmac module computes for it): a signer that drifts from the specification fails here,
   * whatever our own receiver in the tests believes.
   */
  @Test
  void signsTheSpecificationsExampleAsItsLibrariesDo() {
    byte[] key = StandardWebhooks.key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

    String signature = StandardWebhooks.signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330L, "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8));

    assertThat(signature).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  }

  @Test
  void aSecretMustBeWhsecAndTheBase64OfA24To64ByteKey() {
    assertThat(StandardWebhooks.key("whsec_" + "A".repeat(32))).hasSize(24);
    assertThat(StandardWebhooks.key("whsec_" + "A".repeat(86) + "==")).hasSize(64);
    for (String bad : new String[] {null, "", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_", "whsec_c2hvcnQ=", "whsec_" + "A".repeat(88), "whsec_!!!!", "WHSEC_AAAA"}) {
      assertThatThrownBy(() -> StandardWebhooks.key(bad)).as(String.valueOf(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("MfKQ9r8", "c2hvcnQ"));
    }
  }
}
