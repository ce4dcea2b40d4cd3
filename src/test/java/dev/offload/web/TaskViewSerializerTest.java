package dev.offload.web;

import dev.offload.testing.Tasks;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offload.engine.JsonCodec;
import dev.offload.task.Callback;
import dev.offload.task.Priority;
import dev.offload.task.Progress;
import dev.offload.task.Task;
import dev.offload.task.TaskError;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TaskViewSerializerTest {
  private static final Instant T0 = Instant.parse("2026-01-02T03:04:05.678Z");
  private static final UUID ID = UUID.fromString("0b9d3c4e-2f6a-4f7e-9a51-1c2d3e4f5a6b");
  private final JsonCodec json = new JsonCodec();

  @AfterEach
  void close() {
    json.close();
  }

  private Task pending() {
    return Tasks.pending(ID, "noop", Priority.HIGH, "{\"a\":[1,\"x\"]}",
        new Task.Limits(3, 60, 3600), T0, T0, null, null);
  }

  @Test
  void aPendingTaskIsWrittenInOrderWithItsNulls() {
    String text = json.toJson(TaskView.of(pending(), "/ctx"));

    assertThat(text).isEqualTo("{\"id\":\"" + ID + "\",\"type\":\"noop\",\"owner\":\"anonymous\","
        + "\"status\":\"pending\","
        + "\"priority\":\"high\",\"input\":{\"a\":[1,\"x\"]},\"progress\":null,\"attempts\":0,"
        + "\"maxAttempts\":3,\"timeoutSeconds\":60,\"resultTtlSeconds\":3600,"
        + "\"createdAt\":\"2026-01-02T03:04:05.678Z\",\"startedAt\":null,\"finishedAt\":null,"
        + "\"nextAttemptAt\":\"2026-01-02T03:04:05.678Z\",\"expiresAt\":null,\"result\":null,"
        + "\"error\":null,\"retryOf\":null,\"callback\":null,\"links\":{\"self\":\"/ctx/api/tasks/" + ID + "\","
        + "\"events\":\"/ctx/api/tasks/" + ID + "/events\"}}");
  }

  @Test
  void progressResultAndErrorAreObjectsAndTextIsEscaped() {
    Task running = pending().started(T0.plusSeconds(1))
        .withProgress(new Progress(40, "step \"2\" of 5"));
    Task done = running.succeeded("{\"ok\":true}", T0.plusSeconds(2));
    Task failed = running.failed(new TaskError("boom", "line1\nline2 </script>"),
        T0.plusSeconds(2));

    String ok = json.toJson(TaskView.of(done, ""));
    String bad = json.toJson(TaskView.of(failed, ""));

    assertThat(ok).contains("\"status\":\"success\"",
        "\"progress\":{\"percent\":40,\"message\":\"step \\\"2\\\" of 5\"}", "\"attempts\":1",
        "\"finishedAt\":\"2026-01-02T03:04:07.678Z\"", "\"result\":{\"ok\":true},\"error\":null");
    assertThat(bad).contains("\"status\":\"failed\"", "\"result\":null,"
        + "\"error\":{\"type\":\"boom\",\"message\":\"line1\\nline2 </script>\"}");
    // Both parse back as the same JSON-B document they claim to be.
    assertThat(json.parse(ok).asJsonObject().getJsonObject("links").getString("self"))
        .isEqualTo("/api/tasks/" + ID);
  }

  @Test
  void aListOfViewsUsesTheSameWriter() {
    String list = json.toJson(new TasksServlet.ListView(
        java.util.List.of(TaskView.summary(pending(), "")), null));

    assertThat(list).startsWith("{\"items\":[{\"id\":\"" + ID + "\",\"type\":\"noop\"")
        .endsWith("}],\"next\":null}")
        .as("a summary leaves input and result out").doesNotContain("\"input\"", "\"result\"");
  }

  @Test
  void inputAndResultTextsAreCopiedExactlyWithoutATree() {
    String input = "{\"big\":123456789012345678901234567890,\"long\":9223372036854775807,"
        + "\"neg\":-0.5,\"exp\":1E+400,\"s\":\"\\u0000 é \\\"q\\\"\",\"n\":null,\"t\":true,"
        + "\"f\":false,\"a\":[[],{},[1,[2,{\"x\":[]}]]]}";
    Task t = Tasks.pending(ID, "noop", Priority.NORMAL, input, new Task.Limits(1, 60, 60), T0, T0,
        null, null).started(T0).succeeded("[0,0,{\"k\":\"v\"}]", T0);

    String text = json.toJson(TaskView.of(t, ""));

    assertThat(text).contains("\"input\":" + input.replace("\\u0000", "\\u0000") + ",")
        .contains("\"result\":[0,0,{\"k\":\"v\"}],");
    assertThat(json.parse(text).asJsonObject().get("input")).isEqualTo(json.parse(input));
  }

  @Test
  void theCallbackShowsItsDeliveryAndNeverTheSecret() {
    String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    Task owed = Tasks.withCallback(pending(),
        new Callback("https://hooks.example/t?token=abc&x=1", secret));
    Task ended = owed.started(T0).failed(new TaskError("boom", "no"), T0.plusSeconds(1));
    Task retrying = ended.withDelivery(ended.delivery().claimed()
        .retrying(new TaskError("http-500", "POST https://hooks.example answered 500"),
            T0.plusSeconds(9)));
    Task delivered = retrying.withDelivery(retrying.delivery().claimed()
        .delivered(T0.plusSeconds(10)));

    String running = json.toJson(TaskView.summary(owed.started(T0), ""));
    String due = json.toJson(TaskView.of(ended, ""));
    String again = json.toJson(TaskView.of(retrying, ""));
    String done = json.toJson(TaskView.summary(delivered, ""));

    // While the task runs the delivery is owed but not due; once it ends it is due at once.
    assertThat(running).contains("\"callback\":{\"url\":\"https://hooks.example/t?token=***&x=1\","
        + "\"delivery\":{\"state\":\"pending\",\"attempts\":0,\"lastError\":null,"
        + "\"nextAttemptAt\":null,\"deliveredAt\":null}},\"links\"");
    assertThat(due).contains("\"delivery\":{\"state\":\"pending\",\"attempts\":0,"
        + "\"lastError\":null,\"nextAttemptAt\":\"2026-01-02T03:04:06.678Z\","
        + "\"deliveredAt\":null}");
    assertThat(again).contains("\"delivery\":{\"state\":\"pending\",\"attempts\":1,"
        + "\"lastError\":{\"type\":\"http-500\",\"message\":\"POST https://hooks.example "
        + "answered 500\"},\"nextAttemptAt\":\"2026-01-02T03:04:14.678Z\",\"deliveredAt\":null}");
    assertThat(done).contains("\"delivery\":{\"state\":\"delivered\",\"attempts\":2,"
        + "\"lastError\":null,\"nextAttemptAt\":null,"
        + "\"deliveredAt\":\"2026-01-02T03:04:15.678Z\"}");
    for (String view : java.util.List.of(running, due, again, done)) {
      assertThat(view).doesNotContain("whsec_", "MfKQ9r8", "abc");
    }
  }
}
