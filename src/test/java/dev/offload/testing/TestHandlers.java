package dev.offload.testing;

import dev.offload.task.TaskContext;
import dev.offload.task.TaskHandler;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** Handlers for engine tests, each driven by the test through latches. */
public final class TestHandlers {
  private TestHandlers() {}

  /** Input of the test handlers: a key naming what the test prepared. */
  public record Key(String key) {}

  /** The boilerplate every test handler shares: a {@link Key} input, a String result. */
  public abstract static class KeyHandler implements TaskHandler<Key, String> {
    private final String type;

    protected KeyHandler(String type) {
      this.type = type;
    }

    @Override
    public String type() {
      return type;
    }

    @Override
    public String description() {
      return "test handler " + type;
    }

    @Override
    public Class<Key> inputType() {
      return Key.class;
    }

    @Override
    public Key example() {
      return new Key("k");
    }
  }

  /** {@code body} is the work. */
  public static class Simple extends KeyHandler {
    private final Function<Key, String> body;

    public Simple(String type, Function<Key, String> body) {
      super(type);
      this.body = body;
    }

    @Override
    public String run(Key input, TaskContext context) throws Exception {
      return body.apply(input);
    }
  }

  /**
   * Blocks each run until the test releases its key; counts starts and interrupts. A run that
   * is interrupted throws InterruptedException, as a well-behaved handler does.
   */
  public static final class Gate extends KeyHandler {
    private final Map<String, CountDownLatch> release = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> started = new ConcurrentHashMap<>();
    public final AtomicInteger runs = new AtomicInteger();
    public final AtomicInteger interrupts = new AtomicInteger();
    public final java.util.List<String> order =
        java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    public Gate() {
      super("gate");
    }

    private CountDownLatch releaseLatch(String key) {
      return release.computeIfAbsent(key, k -> new CountDownLatch(1));
    }

    public CountDownLatch startedLatch(String key) {
      return started.computeIfAbsent(key, k -> new CountDownLatch(1));
    }

    public void open(String key) {
      releaseLatch(key).countDown();
    }

    public boolean awaitStarted(String key) throws InterruptedException {
      return startedLatch(key).await(10, TimeUnit.SECONDS);
    }

    @Override
    public String run(Key input, TaskContext context) throws Exception {
      runs.incrementAndGet();
      order.add(input.key());
      startedLatch(input.key()).countDown();
      try {
        releaseLatch(input.key()).await();
      } catch (InterruptedException e) {
        interrupts.incrementAndGet();
        throw e;
      }
      return "done " + input.key();
    }
  }

  /** Ignores interrupts until the test lets it go: the misbehaving handler. */
  public static final class Stubborn extends KeyHandler {
    public final CountDownLatch started = new CountDownLatch(1);
    public final CountDownLatch letGo = new CountDownLatch(1);
    public final CountDownLatch returned = new CountDownLatch(1);

    public Stubborn() {
      super("stubborn");
    }

    @Override
    public String run(Key input, TaskContext context) {
      started.countDown();
      boolean done = false;
      while (!done) {
        try {
          done = letGo.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          // Deliberately ignored: this handler misbehaves.
        }
      }
      returned.countDown();
      return "late";
    }
  }
}
