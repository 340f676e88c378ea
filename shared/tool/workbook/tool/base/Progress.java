package workbook.tool.base;

/**
 * One line when work a person waits for takes more than 2 seconds, and one every 30 seconds after
 * it, so that no command is silent for minutes (open asking JBang, prefetch's builds and Maven).
 * Work done within the first 2 seconds prints nothing: quick commands stay quiet.
 *
 * <pre>
 * try (Progress p = Progress.start("asking JBang what lab 01's tests need")) { ... }
 * </pre>
 */
public final class Progress implements AutoCloseable {
  private final Thread thread;

  private Progress(String what, long firstMillis, long everyMillis) {
    long started = System.nanoTime();
    thread = new Thread(() -> {
      try {
        Thread.sleep(firstMillis);
        System.out.println("  " + what + "...");
        while (true) {
          Thread.sleep(everyMillis);
          System.out.println("  ... still " + what + " (" + (System.nanoTime() - started) / 1_000_000_000L + " s)");
        }
      } catch (InterruptedException done) {
        // the work ended
      }
    }, "progress");
    thread.setDaemon(true);
    thread.start();
  }

  /** Says what is being done once it has taken 2 s, then every 30 s, until closed. */
  public static Progress start(String what) {
    return new Progress(what, 2000, 30_000);
  }

  /** The same with other delays (for the tool's tests). */
  public static Progress start(String what, long firstMillis, long everyMillis) {
    return new Progress(what, firstMillis, everyMillis);
  }

  @Override
  public void close() {
    thread.interrupt();
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
