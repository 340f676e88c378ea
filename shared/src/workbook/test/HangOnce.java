//FILES META-INF/services/org.junit.jupiter.api.extension.Extension=extensions.txt
package workbook.test;

import java.lang.reflect.Method;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A hang is found once, not once per test. A test whose thread waits with no bound (join(),
 * get(), take(), await() with no timeout) called straight from a lab's own code (a class of the
 * default package: the exercise or its test) while the whole JVM is idle (under a tenth of a core:
 * threads busy elsewhere are work the test waits for, not a hang) is stopped after
 * {@link #firstSeconds} seconds of it (5; 20 where Kafka is on the class path: a broker's group
 * join takes seconds), however long its {@code @Timeout} allows. Once one test of a run has hung (so, or by its own limit), a later
 * test waiting with no bound is stopped after {@link #AGAIN_MILLIS} ms, naming the first: the same
 * unfinished code usually hangs every test that reaches it, each at its own line (the page's
 * server thread waits where the first hung, the test's thread waits for the page).
 * Both are told as a timeout (LabTests prints them as one, verify counts them as one).
 * Every lab gets it through JUnit's extension auto-detection: META-INF/services (extensions.txt,
 * put in the test's jar by the //FILES line above, and in the warm runner's and the IDE project's
 * class path by the tool), turned on by LabTests and by the IDE project's junit-platform.properties.
 */
public final class HangOnce implements InvocationInterceptor, TestWatcher {
  static final long AGAIN_MILLIS = Long.getLong("workbook.hang.againMillis", 500);
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(HangOnce.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** The first hang of a run: where it waits, and the test that waited there. */
  record Hang(String site, String test) {}

  @Override
  public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
      ExtensionContext context) throws Throwable {
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    // The test in a thread of its own, which this one watches and can leave behind when it hangs
    // (its name as JUnit's own timeout threads: the warm runner restarts when one is left).
    Thread test = new Thread(() -> {
      try {
        invocation.proceed();
      } catch (Throwable t) {
        thrown.set(t);
      }
    }, "junit-timeout-thread-watched-" + THREADS.incrementAndGet());
    test.setDaemon(true);
    context.getStore(NS).put("thread", test);
    test.start();
    String stuckAt = null;
    long since = 0;
    long cpuSince = 0;
    while (test.isAlive()) {
      try {
        test.join(100);
      } catch (InterruptedException e) { // JUnit's own timeout (same-thread mode) ends the watch
        test.interrupt();
        throw e;
      }
      if (!test.isAlive()) break;
      String site = unboundedWait(test);
      long now = System.nanoTime();
      long cpu = processCpu();
      // Waiting somewhere else, or the JVM busy (other threads working for the test): not stuck, start again.
      if (site == null || !site.equals(stuckAt) || cpu - cpuSince > (now - since) / 10) {
        stuckAt = site;
        since = now;
        cpuSince = cpu;
        continue;
      }
      Hang first = context.getRoot().getStore(NS).get("hang", Hang.class);
      long limit = first != null ? AGAIN_MILLIS : firstSeconds(context) * 1000;
      if (now - since >= limit * 1_000_000L) {
        if (first == null) context.getRoot().getStore(NS).put("hang", new Hang(site, context.getDisplayName()));
        String where = first == null ? ", waiting with no bound at " + site
            : ", waiting with no bound at " + site + " after \"" + first.test() + "\" hung first (at " + first.site() + ")";
        String seconds = limit % 1000 == 0 ? String.valueOf(limit / 1000) : String.valueOf(limit / 1000.0);
        throw new TimeoutException(context.getDisplayName() + " timed out after " + seconds + (limit == 1000 ? " second" : " seconds") + where);
      }
    }
    if (thrown.get() != null) throw thrown.get();
  }

  /** CPU time this JVM has used, in nanoseconds (0 where the JVM does not tell: then only the wait counts). */
  private static long processCpu() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        ? Math.max(0, os.getProcessCpuTime()) : 0;
  }

  /** Seconds of waiting with no bound that make the run's first hang: more where a broker is in the lesson. */
  static long firstSeconds(ExtensionContext context) {
    Long chosen = Long.getLong("workbook.hang.first");
    if (chosen != null) return chosen;
    try {
      Class.forName("org.apache.kafka.clients.consumer.KafkaConsumer", false, context.getRequiredTestClass().getClassLoader());
      return 20;
    } catch (ClassNotFoundException | LinkageError e) {
      return 5;
    }
  }

  /** A test stopped by its own @Timeout: where its thread still waits is the run's first hang, if none is known. */
  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    if (!(cause instanceof TimeoutException)) return;
    Thread test = context.getStore(NS).get("thread", Thread.class);
    if (test == null || !test.isAlive()) return;
    String site = unboundedWait(test);
    if (site != null) context.getRoot().getStore(NS).getOrComputeIfAbsent("hang", k -> new Hang(site, context.getDisplayName()), Hang.class);
  }

  /**
   * The line of the lab's code where the thread waits with no bound, if it does: parked with no
   * deadline (WAITING), in JDK frames only, called from a class of the default package. A wait
   * inside a library (Kafka, gRPC) or the workbook's own code is not counted: it has its own limits.
   */
  static String unboundedWait(Thread t) {
    if (t.getState() != Thread.State.WAITING) return null;
    for (StackTraceElement frame : t.getStackTrace()) {
      String cls = frame.getClassName();
      if (cls.startsWith("java.") || cls.startsWith("jdk.") || cls.startsWith("sun.")) continue;
      return cls.contains(".") ? null : cls + "." + frame.getMethodName() + "(" + frame.getFileName() + ":" + frame.getLineNumber() + ")";
    }
    return null;
  }
}
