package dev.offload.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TaskFailedExceptionTest {

  @Test
  void thePlainConstructorKeepsTheUsualRetries() {
    TaskFailedException e = new TaskFailedException("planned-failure", "as asked");
    assertThat(e.type()).isEqualTo("planned-failure");
    assertThat(e.getMessage()).isEqualTo("as asked");
    assertThat(e.retryable()).isTrue();
    assertThat(e.retryAfter()).isEmpty();
  }

  @Test
  void aPermanentFailureIsNeverRetried() {
    TaskFailedException e = TaskFailedException.permanent("http-404", "not found");
    assertThat(e.type()).isEqualTo("http-404");
    assertThat(e.retryable()).isFalse();
    assertThat(e.retryAfter()).isEmpty();
    assertThat(TaskError.of(e)).isEqualTo(new TaskError("http-404", "not found"));
  }

  @Test
  void anErrorAlwaysHasATypeAndAMessage() {
    assertThat(TaskError.of(new TaskFailedException(null, null)))
        .isEqualTo(new TaskError("TaskFailedException", "TaskFailedException"));
    assertThat(TaskError.of(new TaskFailedException(" ", "why")))
        .isEqualTo(new TaskError("TaskFailedException", "why"));
    assertThat(TaskError.of(new TaskFailedException("quota", null)))
        .isEqualTo(new TaskError("quota", "quota"));
  }

  @Test
  void aRetryAfterFailureCarriesItsDelayAndANegativeOneMeansNow() {
    TaskFailedException e =
        TaskFailedException.retryAfter("http-429", "slow down", Duration.ofSeconds(120));
    assertThat(e.retryable()).isTrue();
    assertThat(e.retryAfter()).contains(Duration.ofSeconds(120));
    assertThat(TaskFailedException.retryAfter("x", "y", Duration.ofSeconds(-5)).retryAfter())
        .contains(Duration.ZERO);
  }

  @Test
  void redactShowsTheInputUnchangedByDefault() {
    TaskHandler<String, String> h = new TaskHandler<>() {
      @Override public String type() {
        return "t";
      }

      @Override public String description() {
        return "d";
      }

      @Override public Class<String> inputType() {
        return String.class;
      }

      @Override public String example() {
        return "e";
      }

      @Override public String run(String input, TaskContext context) {
        return input;
      }
    };
    assertThat(h.redact("secret")).isEqualTo("secret");
  }
}
