package workbook.test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Two calls on two threads that meet before every step the test can see (a field read, a question
 * asked, a row read): {@link #await()} is called from inside those steps, so the two calls are in
 * progress at once, step for step, on every run, not by chance. Once one call has returned, the
 * other goes on alone; a call that never arrives (a lock serialising the two) lets the other go
 * on after the wait given, so a correct answer that serialises is only slower.
 */
public final class LockStep {
  private final CyclicBarrier barrier = new CyclicBarrier(2);
  private final Duration wait;
  private volatile boolean alone;

  /** Each step waits at most {@code wait} for the other call's. */
  public LockStep(Duration wait) { this.wait = wait; }

  /** Called from a step of either call: waits until the other call reaches a step too. */
  public void await() {
    if (alone) return;
    try {
      barrier.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (BrokenBarrierException | TimeoutException goOnAlone) {
      // the other call is not running alongside: go on alone
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs both calls in lock-step; both results, or each one's exception as text. */
  public List<Object> run(Callable<?> first, Callable<?> second) throws InterruptedException {
    return both(alone(first), alone(second));
  }

  private Callable<?> alone(Callable<?> call) {
    return () -> {
      try {
        return call.call();
      } finally {
        alone = true; // the other call need not wait for this one any more
        barrier.reset();
      }
    };
  }

  /**
   * Runs two calls on two threads; both results in order, or each one's exception as text. A
   * TODO's UnsupportedOperationException is thrown on, so an unwritten step says so.
   */
  public static List<Object> both(Callable<?> first, Callable<?> second) throws InterruptedException {
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> calls = List.of(threads.submit(first), threads.submit(second));
      List<Object> results = new ArrayList<>();
      for (Future<?> call : calls) {
        try {
          results.add(call.get());
        } catch (ExecutionException failed) {
          if (failed.getCause() instanceof UnsupportedOperationException todo) throw todo;
          results.add("threw " + failed.getCause());
        }
      }
      return results;
    } finally {
      threads.shutdownNow();
    }
  }
}
