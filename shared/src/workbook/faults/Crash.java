package workbook.faults;

import workbook.kafka.Timeline;

/**
 * A simulated process death, thrown where a schedule says the process dies. An Error, not an
 * Exception, so that code which catches exceptions to retry does not survive it: whatever the
 * process had not written down by then is gone, as after a kill -9.
 *
 * <p>A Crash that ends a thread (a consumer's loop, say) is the schedule doing its work, not a
 * bug: from the first Crash made, a thread that dies of one leaves a line on the run's story
 * instead of a stack trace in the learner's output. Any other uncaught throwable is reported as
 * before.
 */
public final class Crash extends Error {
  static {
    Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
      if (e instanceof Crash) {
        Timeline.note("thread " + thread.getName() + " ended by the " + e.getMessage());
      } else if (before != null) {
        before.uncaughtException(thread, e);
      } else {
        System.err.print("Exception in thread \"" + thread.getName() + "\" ");
        e.printStackTrace(System.err);
      }
    });
  }

  public Crash(String where) { super("simulated crash: " + where); }
}
