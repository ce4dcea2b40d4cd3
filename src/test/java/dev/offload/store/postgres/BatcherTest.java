package dev.offload.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Group commit: who writes, what goes into a batch, and who gets which answer. */
class BatcherTest {

  @Test
  void aLoneCallerWritesAtOnceAlone() {
    List<List<Integer>> writes = new CopyOnWriteArrayList<>();
    Batcher<Integer, String> b = new Batcher<>(10, batch -> {
      writes.add(batch);
      return batch.stream().map(i -> Batcher.Result.of("v" + i)).toList();
    });

    assertThat(b.submit(1)).isEqualTo("v1");
    assertThat(b.submit(2)).isEqualTo("v2");
    assertThat(writes).containsExactly(List.of(1), List.of(2));
  }

  @Test
  void callersArrivingDuringAWriteAreWrittenTogetherInTheNextEachGettingItsOwnAnswer()
      throws Exception {
    CountDownLatch firstWriting = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    List<List<Integer>> writes = new CopyOnWriteArrayList<>();
    Batcher<Integer, String> b = new Batcher<>(3, batch -> {
      writes.add(batch);
      if (batch.contains(0)) {
        firstWriting.countDown();
        try {
          assertThat(releaseFirst.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
      return batch.stream().map(i -> i == 4 ? Batcher.Result.<String>failed(
          new IllegalArgumentException("four")) : Batcher.Result.of("v" + i)).toList();
    });
    ExecutorService callers = Executors.newFixedThreadPool(6);
    try {
      List<Future<String>> answers = new ArrayList<>();
      answers.add(callers.submit(() -> b.submit(0)));
      assertThat(firstWriting.await(10, TimeUnit.SECONDS)).isTrue();
      for (int i = 1; i <= 5; i++) {
        int item = i;
        answers.add(callers.submit(() -> b.submit(item)));
      }
      // All five wait behind the write under way.
      await().atMost(Duration.ofSeconds(10)).until(() -> queued(b) == 5);
      releaseFirst.countDown();

      for (int i = 0; i <= 5; i++) {
        if (i == 4) {
          int at = i;
          assertThatThrownBy(() -> answers.get(at).get(10, TimeUnit.SECONDS))
              .hasCauseInstanceOf(IllegalArgumentException.class).hasMessageContaining("four");
        } else {
          assertThat(answers.get(i).get(10, TimeUnit.SECONDS)).isEqualTo("v" + i);
        }
      }
    } finally {
      callers.shutdownNow();
    }
    // At most three per write: the five that queued went in two writes, not five.
    assertThat(writes).hasSize(3);
    assertThat(writes.get(0)).containsExactly(0);
    assertThat(writes.get(1)).hasSize(3);
    assertThat(writes.get(2)).hasSize(2);
  }

  @Test
  void aWriteThatThrowsFailsEveryItemOfItsBatchAndTheNextBatchStillGoes() {
    Batcher<Integer, String> b = new Batcher<>(10, batch -> {
      if (batch.contains(1)) {
        throw new IllegalStateException("database away");
      }
      return batch.stream().map(i -> Batcher.Result.of("v" + i)).toList();
    });

    assertThatThrownBy(() -> b.submit(1)).hasMessage("database away");
    assertThat(b.submit(2)).isEqualTo("v2");
  }

  private static int queued(Batcher<?, ?> b) {
    return b.queued();
  }
}
