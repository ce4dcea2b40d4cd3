package dev.offload.handlers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offload.task.InvalidInputException;
import dev.offload.task.TaskContext;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.UUID;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.junit.jupiter.api.Test;

class Pbkdf2HandlerTest {
  private final Pbkdf2Handler handler = new Pbkdf2Handler();

  private static TaskContext context() {
    return new TaskContext() {
      @Override
      public UUID taskId() {
        return UUID.randomUUID();
      }

      @Override
      public int attempt() {
        return 1;
      }

      @Override
      public void progress(int percent, String message) {}
    };
  }

  private static String jdk(String password, String salt, int iterations) throws Exception {
    SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
    byte[] key = f.generateSecret(new PBEKeySpec(password.toCharArray(),
        salt.getBytes(StandardCharsets.UTF_8), iterations, 256)).getEncoded();
    return HexFormat.of().formatHex(key);
  }

  @Test
  void matchesTheJdkImplementation() throws Exception {
    for (int iterations : new int[] {1, 2, 10_001, 25_000}) {
      assertThat(handler.run(new Pbkdf2Handler.Input("s3cret", iterations, "salt"), context()))
          .isEqualTo(jdk("s3cret", "salt", iterations));
    }
    assertThat(handler.run(new Pbkdf2Handler.Input("pw", 1000, null), context()))
        .isEqualTo(jdk("pw", "offload", 1000));
  }

  @Test
  void stopsWhenInterrupted() {
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> handler.run(
              new Pbkdf2Handler.Input("pw", Pbkdf2Handler.MAX_ITERATIONS, null), context()))
          .isInstanceOf(InterruptedException.class);
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void capsIterations() {
    assertThatThrownBy(() -> handler.validate(
            new Pbkdf2Handler.Input("pw", Pbkdf2Handler.MAX_ITERATIONS + 1, null)))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("'iterations'");
    assertThatThrownBy(() -> handler.validate(new Pbkdf2Handler.Input(null, 5, null)))
        .hasMessageContaining("'password' is required");
  }
}
