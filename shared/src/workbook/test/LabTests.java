//DEPS org.junit:junit-bom:5.14.1@pom
//DEPS org.junit.jupiter:junit-jupiter
//DEPS org.junit.platform:junit-platform-launcher
//DEPS org.assertj:assertj-core:3.27.7
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss8m
//SOURCES ../story/*.java
package workbook.test;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestTag;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import workbook.story.Story;
import workbook.story.StoryPage;

/**
 * Runs one lab's tests from its {@code main} and prints them as a tree of steps, each failure
 * with the message that names its TODO, then the closing line {@code N passed, N failed}.
 * The test JVM runs with the quick JIT tier and the serial GC (JAVA_OPTIONS above): a lab's
 * tests live a few seconds, and start-up is most of that. Tests run in threads of their own (so
 * a timeout always ends them), and -Xss8m gives those threads the main thread's stack: Kafka's
 * producer follows a chain of split batches recursively, which overflowed a 1 MB stack.
 */
public final class LabTests {
  private static final Pattern STEP_TAG = Pattern.compile("step(\\d+)");

  private LabTests() {}

  /**
   * Call from a test class's main: {@code LabTests.run(MyTest.class, args)}. An argument
   * {@code 2} (or {@code step2}) runs only step 2. Exits 1 when anything failed.
   */
  public static void run(Class<?> testClass, String... args) {
    int[] counts;
    try {
      counts = execute(testClass, args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    // Exit explicitly: a learner's unfinished code may have left a non-daemon thread behind.
    System.exit(counts[1] > 0 || counts[0] == 0 ? 1 : 0);
  }

  /**
   * Runs the tests and prints the tree without exiting; returns {passed, failed}. The workbook's
   * watch calls this in a warm JVM. Results go to the file named by the environment variable
   * WORKBOOK_RESULTS or the system property workbook.results, if either is set.
   */
  public static int[] execute(Class<?> testClass, String... args) {
    long began = System.nanoTime();
    LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request()
        .selectors(selectClass(testClass))
        // A safety net under the classes' own @Timeout: unfinished code never hangs a run.
        .configurationParameter("junit.jupiter.execution.timeout.default", "60 s")
        // In its own thread, a timeout fails the test even when the code ignores interrupts
        // (a join(), a busy loop, a blocking read): the run goes on to the next test and ends.
        .configurationParameter("junit.jupiter.execution.timeout.thread.mode.default", "SEPARATE_THREAD")
        .configurationParameter("junit.jupiter.displayname.generator.default",
            "org.junit.jupiter.api.DisplayNameGenerator$ReplaceUnderscores")
        // Steps run and print in order ("Step 1: ..." before "Step 2: ..."); @Order orders tests.
        .configurationParameter("junit.jupiter.testclass.order.default",
            "org.junit.jupiter.api.ClassOrderer$DisplayName")
        .configurationParameter("junit.jupiter.testmethod.order.default",
            "org.junit.jupiter.api.MethodOrderer$OrderAnnotation");
    // A learner reads the failure message, not the assertion library's stack: keep one frame.
    org.assertj.core.api.Assertions.setMaxStackTraceElementsDisplayed(1);
    List<String> steps = new ArrayList<>();
    for (String arg : args) {
      String step = arg.toLowerCase(Locale.ROOT).replaceFirst("^(--)?step", "");
      if (!step.matches("\\d+")) {
        throw new IllegalArgumentException("Unknown argument '" + arg + "': pass a step number (e.g. 2) or nothing.");
      }
      steps.add("step" + Integer.parseInt(step));
    }
    if (!steps.isEmpty()) {
      Set<String> known = stepsOf(LauncherFactory.create().discover(request.build()));
      for (String step : steps) {
        if (!known.contains(step)) {
          throw new IllegalArgumentException("There is no " + step.replace("step", "step ") + " in this lab: its steps are "
              + String.join(", ", known.stream().map(s -> s.replace("step", "")).toList()) + ".");
        }
      }
      request.filters(TagFilter.includeTags(steps));
    }
    // verify's mistakes: the test that caught this mistake last time runs alone first (workbook.only,
    // "Class$Nested#method"); only when it no longer catches it does the whole step run.
    String only = System.getProperty(ONLY);
    if (only != null && !only.isBlank()) request.filters(onlyTest(only));
    // The workbook's extensions (extensions.txt): HangOnce always; StopWhenCaught for verify's mistakes,
    // whose step's remaining tests add nothing once one names its TODO.
    request.configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true");
    if (Boolean.getBoolean("workbook.stopWhenCaught")) StopWhenCaught.reset();
    String results = System.getenv("WORKBOOK_RESULTS");
    String resultsFile = results != null ? results : System.getProperty("workbook.results");
    // verify's mistakes draw no page: nobody reads it.
    Path page = Boolean.getBoolean("workbook.stopWhenCaught") ? null : TreePrinter.pageFile(testClass, resultsFile);
    try (Story.Run story = Story.startRun()) {
      TreePrinter printer = new TreePrinter(plain() ? plainMarks(System.out) : System.out, page, story);
      LauncherFactory.create().execute(request.build(), printer);
      printer.writeResults(resultsFile);
      printer.writePage(testClass, resultsFile);
      System.out.println(printer.summary());
      if (Boolean.getBoolean("workbook.timing")) { // verify's kept logs: where a run's time went
        System.out.printf(Locale.ROOT, "=== timing: plan ready after %.2f s, first test started after %.2f s, run ended after %.2f s%n",
            (printer.planAt - began) / 1e9, (printer.firstTestAt - began) / 1e9, (System.nanoTime() - began) / 1e9);
      }
      System.out.flush();
      return new int[] {printer.passed, printer.failed};
    }
  }

  /** For verify: runs one test method alone ("Class$Nested#method", as {@link StopWhenCaught} records a catch). */
  public static final String ONLY = "workbook.only";

  /** Keeps the test methods named by key (every invocation of a parameterized one); containers stay while they hold one. */
  static org.junit.platform.launcher.PostDiscoveryFilter onlyTest(String key) {
    return descriptor -> {
      boolean match = descriptor.getSource()
          .filter(src -> src instanceof org.junit.platform.engine.support.descriptor.MethodSource)
          .map(src -> (org.junit.platform.engine.support.descriptor.MethodSource) src)
          .map(src -> (src.getClassName() + "#" + src.getMethodName()).equals(key))
          .orElse(false);
      return match ? org.junit.platform.engine.FilterResult.included("the test to try first")
          : org.junit.platform.engine.FilterResult.excluded("not the test to try first");
    };
  }

  /** [ok] and [FAIL] instead of ✔ and ✘: asked for by the workbook tool (--plain, WORKBOOK_PLAIN=1) or its warm runner. */
  static boolean plain() {
    return Boolean.getBoolean("workbook.plain") || "1".equals(System.getenv("WORKBOOK_PLAIN")) || "true".equals(System.getenv("WORKBOOK_PLAIN"));
  }

  /** The tree's marks in plain ASCII; the warm runner's own stream already does this (the tool's Workbook.PlainMarks). */
  private static PrintStream plainMarks(PrintStream out) {
    if (Boolean.getBoolean("workbook.plain")) return out;
    return new PrintStream(new java.io.FilterOutputStream(out) {
      private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
      private final byte[][] from = {"✔".getBytes(StandardCharsets.UTF_8), "✘".getBytes(StandardCharsets.UTF_8)};
      private final String[] to = {"[ok]", "[FAIL]"};

      @Override public void write(int b) throws IOException {
        pending.write(b);
        byte[] p = pending.toByteArray();
        boolean prefix = false;
        for (int i = 0; i < from.length; i++) {
          if (p.length > from[i].length || !java.util.Arrays.equals(p, 0, p.length, from[i], 0, p.length)) continue;
          if (p.length == from[i].length) {
            out.write(to[i].getBytes(StandardCharsets.US_ASCII));
            pending.reset();
            return;
          }
          prefix = true;
        }
        if (!prefix) {
          out.write(p);
          pending.reset();
        }
      }

      @Override public void write(byte[] b, int off, int len) throws IOException {
        for (int i = off; i < off + len; i++) write(b[i]);
      }
    }, true, StandardCharsets.UTF_8);
  }

  /** The steps ("step1", "step2", ...) that the tests of a plan are tagged with, in number order. */
  static Set<String> stepsOf(TestPlan plan) {
    Set<String> steps = new java.util.TreeSet<>(java.util.Comparator.comparingInt((String s) -> Integer.parseInt(s.substring(4))));
    List<TestIdentifier> todo = new ArrayList<>(plan.getRoots());
    while (!todo.isEmpty()) {
      TestIdentifier id = todo.remove(todo.size() - 1);
      // A test method, or a parameterized one (a container until it runs): either belongs to its step.
      boolean method = id.isTest() || id.getSource().filter(src -> src instanceof org.junit.platform.engine.support.descriptor.MethodSource).isPresent();
      if (method && stepOf(plan, id).startsWith("step")) steps.add(stepOf(plan, id));
      todo.addAll(plan.getChildren(id));
    }
    return steps;
  }

  /** The step a test belongs to ("step2"), from its own or any enclosing tag; "given" if none. */
  static String stepOf(TestPlan plan, TestIdentifier id) {
    for (Optional<TestIdentifier> cur = Optional.of(id); cur.isPresent();
        cur = plan.getParent(cur.get())) {
      for (TestTag tag : cur.get().getTags()) {
        Matcher m = STEP_TAG.matcher(tag.getName());
        if (m.matches()) return "step" + Integer.parseInt(m.group(1));
      }
    }
    return "given";
  }

  static final class TreePrinter implements TestExecutionListener {
    private final PrintStream out;
    private final Set<String> opened = ConcurrentHashMap.newKeySet();
    private final List<String> results = new ArrayList<>();
    private final List<StoryPage.Section> sections = new ArrayList<>();
    double pageMillis;
    private Thread warmUp;
    private volatile double warmUpCpuMillis;
    private TestPlan plan;
    private long startedAt;
    long planAt, firstTestAt;
    int passed, failed, skipped;

    private final Path page;
    private final Story.Run story;

    /** page: where to draw the run's story, or null for no page. */
    TreePrinter(PrintStream out, Path page, Story.Run story) {
      this.out = out;
      this.page = page;
      this.story = story;
    }

    @Override public void testPlanExecutionStarted(TestPlan testPlan) {
      this.plan = testPlan;
      planAt = System.nanoTime();
      // The page is drawn at the end of the run; its code gets ready meanwhile, off the run's path.
      if (page != null) {
        warmUp = new Thread(() -> {
          long cpu = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
          StoryPage.warmUp();
          warmUpCpuMillis = (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu) / 1e6;
        }, "story-page-warm-up");
        warmUp.setDaemon(true);
        warmUp.setPriority(Thread.MIN_PRIORITY);
        warmUp.start();
      }
    }

    @Override public void executionStarted(TestIdentifier id) {
      if (id.isTest()) {
        startedAt = System.nanoTime();
        if (firstTestAt == 0) firstTestAt = startedAt;
        story.begin(id.getDisplayName());
      }
    }

    @Override public void executionSkipped(TestIdentifier id, String reason) {
      if (!id.isTest()) return;
      openParents(id);
      skipped++;
      out.println(indent(id) + "- " + id.getDisplayName() + "  (skipped: " + reason + ")");
      results.add(stepOf(plan, id) + "\tskipped\t" + id.getDisplayName());
    }

    @Override public void executionFinished(TestIdentifier id, TestExecutionResult result) {
      if (!id.isTest()) {
        // A class or @Nested group that failed before its tests ran (e.g. @BeforeAll threw).
        if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
          openParents(id);
          failed++;
          out.println(indent(id) + "✘ " + id.getDisplayName() + " could not run");
          keepStory(id, true, result);
          String message = printFailure(id, result);
          results.add(stepOf(plan, id) + "\tfailed\t" + id.getDisplayName() + "\t" + oneLine(message));
        }
        return;
      }
      openParents(id);
      if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
        // An assumption that did not hold (e.g. no browser on this machine): skipped, with why.
        skipped++;
        String why = result.getThrowable().map(Throwable::getMessage).orElse("an assumption did not hold");
        out.println(indent(id) + "- " + id.getDisplayName() + "  (skipped: " + why + ")");
        results.add(stepOf(plan, id) + "\tskipped\t" + id.getDisplayName());
        return;
      }
      long ms = (System.nanoTime() - startedAt) / 1_000_000;
      boolean ok = result.getStatus() == TestExecutionResult.Status.SUCCESSFUL;
      String time = ms >= 100 ? String.format(Locale.ROOT, "  (%.1f s)", ms / 1000.0) : "";
      out.println(indent(id) + (ok ? "✔ " : "✘ ") + id.getDisplayName() + time);
      String message = "";
      keepStory(id, !ok, result);
      if (ok) passed++; else { failed++; message = printFailure(id, result); }
      results.add(stepOf(plan, id) + "\t" + (ok ? "passed" : "failed") + "\t" + id.getDisplayName()
          + "\t" + oneLine(message));
    }

    /** Keeps the test's story entries for the run's page (printFailure then drains the lines). */
    private void keepStory(TestIdentifier id, boolean failedTest, TestExecutionResult result) {
      String message = "";
      if (failedTest) {
        Throwable t = result.getThrowable().orElse(null);
        message = isTimeout(t) ? timedOut(id, t) : describe(t);
      }
      sections.add(new StoryPage.Section(path(id), failedTest, message, story.entries(), story.notKept()));
    }

    /** "Step 3: two consumers › the same event ..." : the test's name under its groups. */
    private String path(TestIdentifier id) {
      List<String> names = new ArrayList<>();
      for (Optional<TestIdentifier> p = Optional.of(id); p.isPresent(); p = plan.getParent(p.get())) {
        if (p.get().getParentId().isEmpty()) break;
        names.add(0, p.get().getDisplayName());
      }
      if (names.size() > 1) names.remove(0); // the lab's own name is the page's title
      return String.join(" › ", names);
    }

    /**
     * Draws the run's story as a page (see StoryPage): at the file named by WORKBOOK_STORY or
     * workbook.story ("off": none); else beside the tool's results, .workbook/story/NN.html for
     * .workbook/results/NN.tsv; else, run by hand inside the workbook, .workbook/story/TestName.html.
     */
    void writePage(Class<?> testClass, String resultsFile) {
      if (page == null) return;
      long t0 = System.nanoTime();
      if (warmUp != null) {
        try {
          warmUp.join(3000); // bounded: a run shorter than the warm-up waits for it at most this long
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      long t1 = System.nanoTime();
      String title = testClass.getSimpleName();
      org.junit.jupiter.api.DisplayName name = testClass.getAnnotation(org.junit.jupiter.api.DisplayName.class);
      if (name != null) title = name.value();
      try {
        StoryPage.write(page, title, sections);
      } catch (IOException | RuntimeException e) {
        System.err.println("Could not draw the run's story in " + page + ": " + e);
        return;
      }
      pageMillis = (System.nanoTime() - t0) / 1e6;
      // For the benchmark (docs/benchmarks.md): what drawing the page added to this run.
      if (System.getenv("WORKBOOK_STORY_TIMING") != null) {
        System.err.printf(Locale.ROOT, "(story page: %.1f ms, of which %.1f ms waiting for its warm-up; the warm-up took"
            + " %.0f ms of CPU in the background)%n", pageMillis, (t1 - t0) / 1e6, warmUpCpuMillis);
      }
      // The workbook tool names the page itself; a run by hand says where it is.
      if (resultsFile == null && failed > 0) out.println("What happened, drawn: " + page.toUri());
    }

    static Path pageFile(Class<?> testClass, String resultsFile) {
      String chosen = System.getenv("WORKBOOK_STORY") != null ? System.getenv("WORKBOOK_STORY") : System.getProperty("workbook.story");
      if (chosen != null && !chosen.isBlank()) return chosen.equals("off") ? null : Path.of(chosen);
      if (resultsFile != null && !resultsFile.isBlank()) {
        Path results = Path.of(resultsFile).toAbsolutePath();
        Path dir = results.getParent();
        if (dir == null || !dir.getFileName().toString().equals("results") || dir.getParent() == null) return null;
        String lab = results.getFileName().toString().replaceFirst("\\..*", "");
        return dir.getParent().resolve("story").resolve(lab + ".html");
      }
      for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
        if (Files.exists(p.resolve("jbang-catalog.json")) && Files.isDirectory(p.resolve("labs"))) {
          return p.resolve(".workbook/story/" + testClass.getSimpleName() + ".html");
        }
      }
      return null;
    }

    /** Prints the failure under the test and returns its message. */
    private String printFailure(TestIdentifier id, TestExecutionResult result) {
      String pad = indent(id) + "    ";
      Throwable t = result.getThrowable().orElse(null);
      String message = isTimeout(t) ? timedOut(id, t) : describe(t);
      for (String line : message.strip().split("\\R")) out.println(pad + line);
      List<String> lines = story.drain();
      if (!lines.isEmpty()) {
        out.println(pad + "What happened, in order:");
        for (String line : lines) out.println(pad + "  " + line);
      }
      return message;
    }

    /** JUnit's own timeout (java.util.concurrent.TimeoutException "... timed out after 30 seconds"). */
    private static boolean isTimeout(Throwable t) {
      return t instanceof java.util.concurrent.TimeoutException
          && Optional.ofNullable(t.getMessage()).orElse("").contains("timed out after");
    }

    /** A timeout told as what it means for the learner: which test, how long, which TODO. */
    private String timedOut(TestIdentifier id, Throwable t) {
      String after = t.getMessage().replaceFirst(".*timed out after ", "");
      String step = stepOf(plan, id);
      String todo = step.startsWith("step") ? "TODO " + step.substring(4) + ": " : "";
      return todo + "\"" + id.getDisplayName() + "\" was stopped after " + after + ": something in it never returned."
          + "\n  Look for a wait with no bound (join(), get(), take(), a lock, a loop that never ends) in the code of this step.";
    }

    /** The learner's message first; a stack frame only for errors that are not assertions. */
    private static String describe(Throwable t) {
      if (t == null) return "(no message)";
      String msg = Optional.ofNullable(t.getMessage()).orElse("");
      // AssertJ ends long messages with "(N remaining lines not displayed - ...)": noise for a learner.
      msg = msg.replaceAll("(?m)^\\s*\\(\\d+ remaining lines? not displayed[^)]*\\)\\s*$", "").strip();
      if (t instanceof AssertionError) return msg.isBlank() ? t.toString() : msg;
      StringBuilder sb = new StringBuilder(t.getClass().getSimpleName())
          .append(msg.isBlank() ? "" : ": " + msg);
      for (StackTraceElement frame : t.getStackTrace()) {
        String cls = frame.getClassName();
        if (cls.startsWith("java.") || cls.startsWith("jdk.") || cls.startsWith("org.junit")
            || cls.startsWith("sun.") || cls.startsWith("workbook.test.")) continue;
        sb.append("\n  at ").append(frame);
        break;
      }
      if (t.getCause() != null && t.getCause() != t) {
        sb.append("\n  caused by ").append(t.getCause().getClass().getSimpleName())
            .append(": ").append(t.getCause().getMessage());
      }
      return sb.toString();
    }

    private void openParents(TestIdentifier id) {
      List<TestIdentifier> chain = new ArrayList<>();
      for (Optional<TestIdentifier> p = plan.getParent(id); p.isPresent(); p = plan.getParent(p.get())) {
        if (p.get().getParentId().isEmpty()) break; // the engine itself
        chain.add(0, p.get());
      }
      for (TestIdentifier container : chain) {
        if (opened.add(container.getUniqueId())) {
          out.println(indent(container) + container.getDisplayName());
        }
      }
    }

    private String indent(TestIdentifier id) {
      int depth = -2; // engine and the top class are not indented
      for (Optional<TestIdentifier> p = Optional.of(id); p.isPresent(); p = plan.getParent(p.get())) depth++;
      return "  ".repeat(Math.max(0, depth));
    }

    /** A message on one line for the results file: tabs and line breaks become spaces, 500 chars at most. */
    static String oneLine(String message) {
      String flat = message.replaceAll("[\\t\\r\\n]+", " ").strip();
      return flat.length() > 500 ? flat.substring(0, 500) : flat;
    }

    String summary() {
      String line = passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : "");
      if (passed + failed == 0) line += "  (no test ran: check the step number)";
      return line;
    }

    /** One line per test, "step<TAB>status<TAB>name<TAB>message", for the workbook tool's verify and list. */
    void writeResults(String file) {
      if (file == null || file.isBlank()) return;
      try {
        Files.write(Path.of(file), results, StandardCharsets.UTF_8);
      } catch (IOException e) {
        System.err.println("Could not write test results to " + file + ": " + e.getMessage());
      }
    }
  }
}
