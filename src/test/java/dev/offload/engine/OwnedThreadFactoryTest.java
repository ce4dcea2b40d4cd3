package dev.offload.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OwnedThreadFactoryTest {

  @Test
  void namesItsThreadsAndMakesThemDaemons() {
    Thread a = OwnedThreadFactory.numbered("offload-x-").newThread(() -> { });
    Thread b = OwnedThreadFactory.named("offload-y").newThread(() -> { });
    assertThat(a.getName()).isEqualTo("offload-x-1");
    assertThat(b.getName()).isEqualTo("offload-y");
    assertThat(a.isDaemon()).isTrue();
    assertThat(b.isDaemon()).isTrue();
  }

  @Test
  void joinWaitsUntilEveryThreadItMadeHasEnded() throws InterruptedException {
    OwnedThreadFactory factory = OwnedThreadFactory.numbered("offload-test-");
    CountDownLatch release = new CountDownLatch(1);
    Thread t = factory.newThread(() -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    t.start();

    assertThat(factory.join(20)).isFalse();
    assertThat(t.isAlive()).isTrue();

    release.countDown();
    assertThat(factory.join(10_000)).isTrue();
    assertThat(t.isAlive()).isFalse();
  }

  @Test
  void afterAPoolTerminatesJoiningLeavesNoThreadOfItAlive() throws InterruptedException {
    OwnedThreadFactory factory = OwnedThreadFactory.numbered("offload-pool-");
    ThreadPoolExecutor pool = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), factory);
    CountDownLatch ran = new CountDownLatch(2);
    pool.execute(ran::countDown);
    pool.execute(ran::countDown);
    assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();

    pool.shutdown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(OwnedThreadFactory.joinThreadsOf(pool, 10_000)).isTrue();
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().startsWith("offload-pool-"));
  }

  @Test
  void aPoolWithThreadsItDidNotMakeHasNothingToJoin() throws InterruptedException {
    ExecutorService plain = Executors.newSingleThreadExecutor();
    plain.shutdown();
    assertThat(OwnedThreadFactory.joinThreadsOf(plain, 10)).isTrue();
  }
}
