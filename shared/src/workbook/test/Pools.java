package workbook.test;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * Pools of a fixed size that the JVM keeps rather than the lab, so that no field of the lab's shows them: a test asks
 * from the thread a call is made on (a blocking call holds its thread until the answer comes, so past the pool's last
 * worker the next caller waits for others' calls).
 */
public final class Pools {
  private Pools() {}

  /**
   * The pool of a fixed size {@code t} belongs to, or null: a worker of a ForkJoinPool (any ForkJoinPool has a fixed
   * number of workers, and spare ones only while a worker waits in a managed block, 256 at most), ForkJoinPool.commonPool()
   * among them, which CompletableFuture's ...Async methods given no executor and parallel streams use.
   *
   * <p>Told by what the thread is, never by its name: on a machine of one or two cores CompletableFuture runs an ...Async
   * method given no executor on a new unnamed thread per task instead of the common pool, and that thread cannot be told
   * from the one a learner's own thread-per-task executor starts (which is correct); a test that must catch that call on
   * every machine reads the lab's code for an ...Async method given no executor instead.
   */
  public static String sharedPoolOf(Thread t) {
    if (!(t instanceof ForkJoinWorkerThread worker)) return null;
    ForkJoinPool pool = worker.getPool();
    return (pool == ForkJoinPool.commonPool() ? "ForkJoinPool.commonPool(), which CompletableFuture's ...Async methods"
        + " given no executor and parallel streams use," : "a ForkJoinPool") + " of " + pool.getParallelism() + " workers";
  }
}
