package dev.offload.engine;

import dev.offload.task.Task;
import dev.offload.task.TaskStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What this instance has done, for the operator's page: per task type since the start
 * (submitted, succeeded, failed, canceled, retried, run time percentiles), and per minute over
 * the last hour (finished by final status, run time percentiles). Fed by {@link TaskEvents};
 * memory is fixed: one record per known type and 60 minutes, each with a 64-bucket histogram.
 */
public final class History implements TaskEvents {
  static final int MINUTES = 60;

  private final Clock clock;
  private final Set<String> types;
  private final Instant since;
  private final Map<String, TypeCounts> byType = new ConcurrentHashMap<>();
  private final Minute[] minutes = new Minute[MINUTES];

  /** @param types the registered types: anything else is counted as {@code unknown} */
  public History(Clock clock, Set<String> types) {
    this.clock = clock;
    this.types = Set.copyOf(types);
    this.since = clock.instant();
    for (int i = 0; i < MINUTES; i++) {
      minutes[i] = new Minute();
    }
  }

  /** Per type since the start. */
  public record TypeFigures(String type, long submitted, long succeeded, long failed,
      long canceled, long retried, Double successRate, Double runTimeP50Seconds,
      Double runTimeP95Seconds) {}

  /** One minute: tasks that reached a final state in it, and the run times of its attempts. */
  public record MinuteFigures(Instant minute, long succeeded, long failed, long canceled,
      Double runTimeP50Seconds, Double runTimeP95Seconds) {}

  /** The figures at one moment; minutes oldest first, the current one last. */
  public record Snapshot(Instant since, List<TypeFigures> types, List<MinuteFigures> minutes) {}

  @Override
  public void submitted(Task task) {
    counts(task.type()).submitted.increment();
  }

  @Override
  public void attemptEnded(Task attempt, Task next, Duration runTime) {
    TypeCounts c = counts(attempt.type());
    c.runTimes.add(runTime);
    Minute m = minute();
    synchronized (m) {
      m.runTimes.add(runTime);
      if (next.status() == TaskStatus.SUCCESS) {
        m.succeeded.increment();
      } else if (next.status() == TaskStatus.FAILED) {
        m.failed.increment();
      }
    }
    if (next.status() == TaskStatus.SUCCESS) {
      c.succeeded.increment();
    } else if (next.status() == TaskStatus.FAILED) {
      c.failed.increment();
    } else if (next.status() == TaskStatus.PENDING && next.attempts() == attempt.attempts()) {
      c.retried.increment(); // a hand-back uncounts its attempt: not a retry
    }
  }

  @Override
  public void canceled(Task canceled) {
    counts(canceled.type()).canceled.increment();
    Minute m = minute();
    synchronized (m) {
      m.canceled.increment();
    }
  }

  public Snapshot snapshot() {
    List<TypeFigures> t = new ArrayList<>();
    for (Map.Entry<String, TypeCounts> e : new TreeMap<>(byType).entrySet()) {
      TypeCounts c = e.getValue();
      long ok = c.succeeded.sum();
      long bad = c.failed.sum();
      t.add(new TypeFigures(e.getKey(), c.submitted.sum(), ok, bad, c.canceled.sum(),
          c.retried.sum(), ok + bad == 0 ? null : ok / (double) (ok + bad),
          c.runTimes.quantileSeconds(0.5), c.runTimes.quantileSeconds(0.95)));
    }
    long now = epochMinute(clock.instant());
    List<MinuteFigures> m = new ArrayList<>(MINUTES);
    for (long minute = now - MINUTES + 1; minute <= now; minute++) {
      Minute b = minutes[(int) Math.floorMod(minute, MINUTES)];
      Instant at = Instant.ofEpochSecond(minute * 60);
      synchronized (b) {
        if (b.minute != minute) {
          m.add(new MinuteFigures(at, 0, 0, 0, null, null));
        } else {
          m.add(new MinuteFigures(at, b.succeeded.sum(), b.failed.sum(), b.canceled.sum(),
              b.runTimes.quantileSeconds(0.5), b.runTimes.quantileSeconds(0.95)));
        }
      }
    }
    return new Snapshot(since, t, m);
  }

  private TypeCounts counts(String type) {
    String key = types.contains(type) ? type : "unknown";
    return byType.computeIfAbsent(key, k -> new TypeCounts());
  }

  /** The bucket of the current minute, emptied first if it last held an older minute. */
  private Minute minute() {
    long now = epochMinute(clock.instant());
    Minute b = minutes[(int) Math.floorMod(now, MINUTES)];
    synchronized (b) {
      if (b.minute != now) {
        b.reset(now);
      }
    }
    return b;
  }

  private static long epochMinute(Instant at) {
    return Math.floorDiv(at.getEpochSecond(), 60);
  }

  private static final class TypeCounts {
    final LongAdder submitted = new LongAdder();
    final LongAdder succeeded = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder canceled = new LongAdder();
    final LongAdder retried = new LongAdder();
    final RunTimes runTimes = new RunTimes();
  }

  private static final class Minute {
    long minute = Long.MIN_VALUE;
    LongAdder succeeded = new LongAdder();
    LongAdder failed = new LongAdder();
    LongAdder canceled = new LongAdder();
    RunTimes runTimes = new RunTimes();

    void reset(long to) {
      minute = to;
      succeeded = new LongAdder();
      failed = new LongAdder();
      canceled = new LongAdder();
      runTimes = new RunTimes();
    }
  }

  /**
   * Run times in 64 buckets growing by a factor of 2^(1/4) from 1 ms (up to about 19 days), so a
   * percentile is known to within about 19 % at a fixed, small cost.
   */
  static final class RunTimes {
    private static final int BUCKETS = 64;
    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

    void add(Duration d) {
      long millis = Math.max(1, d.toMillis());
      int bucket = (int) Math.floor(4 * Math.log(millis) / Math.log(2));
      counts.incrementAndGet(Math.min(BUCKETS - 1, Math.max(0, bucket)));
    }

    /** The upper bound of the bucket holding quantile {@code q}, or null when empty. */
    Double quantileSeconds(double q) {
      long total = 0;
      for (int i = 0; i < BUCKETS; i++) {
        total += counts.get(i);
      }
      if (total == 0) {
        return null;
      }
      long rank = (long) Math.ceil(q * total);
      long seen = 0;
      for (int i = 0; i < BUCKETS; i++) {
        seen += counts.get(i);
        if (seen >= rank) {
          return Math.pow(2, (i + 1) / 4.0) / 1000.0;
        }
      }
      return Math.pow(2, BUCKETS / 4.0) / 1000.0;
    }
  }
}
