package dev.offload.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.offload.handlers.NoopHandler;
import dev.offload.handlers.Pbkdf2Handler;
import dev.offload.handlers.SleepHandler;
import dev.offload.store.MemoryTaskStore;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskHandler;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The engine binds task inputs exactly: the numbers that ran one PBKDF2 iteration or slept 0 ms
 * are refused with a 422 naming the field, and nothing is stored.
 */
class StrictInputEngineTest {

  /** A type InputShape cannot see into (an interface) and JSON-B cannot bind. */
  public record Opaque(CharSequence text) {}

  private static final class OpaqueHandler implements TaskHandler<Opaque, String> {
    @Override
    public String type() {
      return "opaque";
    }

    @Override
    public String description() {
      return "binds a CharSequence, which JSON-B cannot";
    }

    @Override
    public Class<Opaque> inputType() {
      return Opaque.class;
    }

    @Override
    public Opaque example() {
      return new Opaque("x");
    }

    @Override
    public String run(Opaque input, TaskContext context) {
      return "never";
    }
  }

  private MemoryTaskStore store;
  private TaskEngine engine;

  @BeforeEach
  void start() {
    EngineConfig config = EngineConfig.defaults();
    store = new MemoryTaskStore(config.queueCapacity(), 1000);
    engine = TaskEngine.builder(config, store, new HandlerRegistry(List.of(new NoopHandler(),
        new Pbkdf2Handler(), new SleepHandler(), new OpaqueHandler()))).build();
    engine.start();
  }

  @AfterEach
  void stop() {
    engine.shutdown();
  }

  private InvalidTaskException refused(String type, String input) {
    InvalidTaskException e = catchThrowableOfType(InvalidTaskException.class, () ->
        engine.submit(new SubmitRequest(type, input, null, null, null, null, null, null)));
    assertThat(e).as("%s %s refused", type, input).isNotNull();
    assertThat(store.stats().pending() + store.stats().running() + store.stats().finished())
        .as("nothing stored").isZero();
    return e;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "4294967297 | 'input.iterations' must be a whole number between -2147483648 and 2147483647, got 4294967297",
      "1.9        | 'input.iterations' must be a whole number, got 1.9",
      "1000.0     | 'input.iterations' must be a whole number written without a fraction or exponent, got 1000.0",
      "\"1000\"   | 'input.iterations' must be a whole number between -2147483648 and 2147483647, got a string",
  })
  void pbkdf2IterationsAreExact(String iterations, String message) {
    InvalidTaskException e = refused("pbkdf2",
        "{\"password\":\"p\",\"iterations\":" + iterations.trim() + "}");
    assertThat(e).hasMessage("'input' does not fit type 'pbkdf2': " + message);
  }

  @Test
  void sleepMillisOfAHugeExponentIsRefusedNotSleptAsZero() {
    InvalidTaskException e = refused("sleep", "{\"millis\":1e999999999}");
    assertThat(e).hasMessage("'input' does not fit type 'sleep': 'input.millis' must be a whole"
        + " number between -9223372036854775808 and 9223372036854775807, got 1E+999999999");
  }

  @Test
  void unknownFieldsAreNamedWithTheKnownOnes() {
    assertThat(refused("sleep", "{\"mills\":5}")).hasMessage("'input' does not fit type "
        + "'sleep': unknown field 'input.mills'; known fields: failTimes, millis");
  }

  @Test
  void whatJsonbRefusesAfterTheCheckNamesTheTypeButNoJavaClass() {
    InvalidTaskException e = refused("opaque", "{\"text\":\"x\"}");
    assertThat(e).hasMessage("'input' does not fit type 'opaque'");
  }

  @Test
  void aTextInputThatIsNotStrictJsonIsRefused() {
    assertThat(refused("noop", "{\"a\":1,\"a\":2}")).hasMessage(
        "'input' is not valid JSON: duplicate member name 'a' at line 1, column 8");
    assertThat(refused("noop", "[1] x").getMessage()).contains("after the JSON value");
  }

  @Test
  void exactInputsAreAccepted() {
    assertThat(engine.submit(new SubmitRequest("sleep", "{\"millis\":0,\"failTimes\":0}", null,
        null, null, null, null, null)).created()).isTrue();
    assertThat(engine.submit(new SubmitRequest("pbkdf2",
        "{\"password\":\"p\",\"iterations\":1,\"salt\":null}", null, null, null, null, null,
        null)).created()).isTrue();
    String big = "[1e999999999,-0.0,{\"n\":null}]";
    assertThat(engine.submit(new SubmitRequest("noop", big, null, null, null, null, null, null))
        .task().input()).isEqualTo(big);
  }
}
