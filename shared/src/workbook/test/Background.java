package workbook.test;

import java.util.concurrent.Executor;

/**
 * Where a test runs a call it waits for with a bound: a new thread per call. Not
 * ForkJoinPool.commonPool(), which CompletableFuture.supplyAsync(call) uses on a machine of
 * three or more cores: its few workers are shared by the whole JVM, so calls left blocked by an
 * earlier test or an earlier run in the same JVM (the warm runner keeps one JVM across runs;
 * verify runs the starter, the solution and every mistake in one) hold back later ones, and a
 * test times out for a reason that is not its own.
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
