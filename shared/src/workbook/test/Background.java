package workbook.test;

import java.util.concurrent.Executor;

/**
 * Where a test runs a call it waits for with a bound: a new thread per call. Never
 * ForkJoinPool.commonPool() (what CompletableFuture.supplyAsync(call) uses): on a two-core
 * machine it has one worker, so a call left blocked by an earlier test, an earlier run in the
 * same JVM (verify runs the starter, the solution and every mistake in one) or another lab's
 * code holds back every later call, and a test times out for a reason that is not its own.
 */
public final class Background {
  private Background() {}

  /** Runs each task on a daemon thread of its own: {@code CompletableFuture.supplyAsync(call, Background.OWN_THREAD)}. */
  public static final Executor OWN_THREAD = task -> {
    Thread t = new Thread(task, "test-call");
    t.setDaemon(true);
    t.start();
  };
}
