import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The measuring: run something for a fixed time, several rounds, and keep the median round, so
 * one slow round (a GC pause, the JIT still compiling) does not decide the result.
 */
final class Harness {
  /** Something to measure; may throw, which stops the measurement with that error. */
  interface Call { Object run() throws Exception; }

  private final Duration round;
  private final int rounds;
  // Results go here so that the JIT cannot drop work whose result nobody reads.
  private static volatile int sink;

  Harness(Duration round, int rounds) {
    this.round = round;
    this.rounds = rounds;
  }

  /** Median nanoseconds per call of {@code call}, one caller, after a warm-up round. */
  double nanosPerCall(Call call) throws Exception {
    timedRound(call);
    double[] results = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      long[] countAndNanos = timedRound(call);
      results[i] = (double) countAndNanos[1] / countAndNanos[0];
    }
    return median(results);
  }

  /** Median calls per second with {@code callers} threads calling at once, after a warm-up round. */
  double callsPerSecond(int callers, Call call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      concurrentRound(pool, callers, call);
      double[] results = new double[rounds];
      for (int i = 0; i < rounds; i++) results[i] = concurrentRound(pool, callers, call);
      return median(results);
    } finally {
      pool.shutdownNow();
    }
  }

  private long[] timedRound(Call call) throws Exception {
    long start = System.nanoTime(), end = start + round.toNanos(), count = 0, now;
    do {
      sink += call.run().hashCode();
      count++;
    } while ((now = System.nanoTime()) < end);
    return new long[] {count, now - start};
  }

  private double concurrentRound(ExecutorService pool, int callers, Call call) throws Exception {
    AtomicLong done = new AtomicLong();
    long start = System.nanoTime(), end = start + round.toNanos();
    List<Future<?>> workers = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      workers.add(pool.submit(() -> {
        while (System.nanoTime() < end) { call.run(); done.incrementAndGet(); }
        return null;
      }));
    }
    for (Future<?> w : workers) w.get();
    return done.get() * 1e9 / (System.nanoTime() - start);
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
}
