package workbook.tool.verify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import workbook.tool.content.Labs;
import workbook.tool.content.Results;
import workbook.tool.run.WarmRunner;

/**
 * A lab's catalogue of plausible wrong answers (solutions/NN-slug/mistakes/NAME.patch) and the
 * check that each one turns a test of its own step red with a message naming that step's TODO.
 * Verify checks a lab in one child JVM ({@code _labcheck}), warm: JBang describes the lab once,
 * then the starter, the solution and each mistake are compiled in-process; a mistake runs only
 * its step's tests.
 */
public final class Mistakes {
  /** Line 1 of a patch: "step N: why the code is wrong". */
  private static final Pattern HEADER = Pattern.compile("^step (\\d+): (\\S.*)$");
  static final long SECONDS_EACH = 150;

  /** One mistake: its file, the step that must catch it, and why it is wrong (null when line 1 is malformed). */
  record Mistake(String name, Path patch, int step, String why) {
    boolean wellFormed() { return step > 0; }
  }

  /** What happened to one mistake. */
  record Outcome(String name, int step, boolean caught, String detail) {}

  private Mistakes() {}

  static List<Mistake> of(Path solutionDir) {
    Path dir = solutionDir.resolve("mistakes");
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".patch")).sorted().map(Mistakes::read).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not list " + dir, e);
    }
  }

  private static Mistake read(Path patch) {
    String name = patch.getFileName().toString().replaceFirst("\\.patch$", "");
    String first = Labs.read(patch).lines().findFirst().orElse("");
    Matcher m = HEADER.matcher(first);
    return m.matches() ? new Mistake(name, patch, Integer.parseInt(m.group(1)), m.group(2)) : new Mistake(name, patch, 0, null);
  }

  /**
   * The child JVM's work for one lab ({@code _labcheck <lab copy> <out dir> <solution dir>}),
   * all in one warm JVM: the starter's tests (out/starter.tsv), then the solution laid over it
   * and its tests (out/solution.tsv), then every mistake (out/mistakes.tsv). It stops after a
   * phase whose outcome makes the next one pointless, so the log ends with what went wrong.
   * The lab copy holds the lab inside a copy of the workbook (shared/, jbang).
   */
  public static int checkLab(Path labCopy, Path out, Path solutionDir) throws IOException {
    Path root = labCopy.getParent().getParent();
    Path test;
    try (Stream<Path> files = Files.list(labCopy)) {
      test = files.filter(p -> p.toString().endsWith("Test.java")).sorted().findFirst().orElseThrow(); // as Labs.Lab.testFile()
    }
    Optional<WarmRunner> prepared = WarmRunner.prepare(root, test);
    if (prepared.isEmpty()) {
      System.out.println("JBang could not describe " + test.getFileName() + ": its //DEPS or //SOURCES lines are broken");
      return 1;
    }
    WarmRunner warm = prepared.get();
    warm.compileVerdict = "";
    String fingerprint = Catchers.fingerprint(labCopy, solutionDir, root.resolve("shared/src")); // before the solution is laid over
    System.out.println("=== the starter's tests");
    warm.run(out.resolve("starter.tsv"));
    if (Verify.starterProblem(Results.read(out.resolve("starter.tsv")).orElse(new Results(List.of()))) != null) return 0;
    Verify.overlaySolution(solutionDir, labCopy);
    System.out.println("=== the solution's tests");
    if (!warm.run(out.resolve("solution.tsv"))) return 0;
    System.out.println("=== the mistakes");
    warm.pin(); // each mistake is compiled against the solution's classes: its own files alone, most of the time
    return runAll(labCopy, out.resolve("mistakes.tsv"), solutionDir, warm, fingerprint);
  }

  /** The lab's tests read these (LabTests.ONLY, StopWhenCaught.CAUGHT_BY): the test to run alone, the test that caught. */
  static final String ONLY = "workbook.only";
  static final String CAUGHT_BY = "workbook.caughtBy";
  /** The tests that caught each mistake in an earlier run (verify writes it beside the report; see Catchers). */
  static final String KNOWN_CATCHERS = "catchers-known.tsv";
  /** The tests that caught each mistake in this run, for the next: mistake, digest of what it was checked on, "Class$Nested#method". */
  static final String CATCHERS = "catchers.tsv";

  /** Every mistake laid over the solution in turn; one line per mistake goes to the report. */
  private static int runAll(Path labCopy, Path report, Path solutionDir, WarmRunner warm, String fingerprint) throws IOException {
    Map<Path, byte[]> solution = snapshot(labCopy);
    Path results = Files.createTempFile("workbook-mistake-", ".tsv");
    System.setProperty("workbook.stopWhenCaught", "true");
    System.setProperty(WarmRunner.TIMING, "true");
    List<String> lines = new ArrayList<>();
    List<String> firstMessages = new ArrayList<>(); // for the message report (Messages): read here, never run again
    Map<String, String> known = Catchers.read(report.resolveSibling(KNOWN_CATCHERS));
    List<String> catchers = new ArrayList<>();
    try {
      for (Mistake m : of(solutionDir)) {
        restore(labCopy, solution);
        long t0 = System.nanoTime();
        Thread watchdog = watch(m, report, lines);
        System.out.println("=== mistake " + m.name() + " (step " + m.step() + ")");
        Files.deleteIfExists(results); // a patch that does not apply must not leave the last mistake's results
        Outcome o;
        try {
          o = check(m, labCopy, warm, results, known.get(m.name() + "\t" + Catchers.digest(fingerprint, m.patch())));
        } finally {
          watchdog.interrupt(); // its mistake ended: one sleeping thread per mistake no longer piles up
        }
        Results.read(results).map(r -> r.failureMessages("step" + m.step())).filter(f -> !f.isEmpty()).ifPresent(f ->
            firstMessages.add(m.name() + "\t" + m.step() + "\t" + f.get(0).replaceAll("[\\t\\r\\n]+", " ")));
        Files.write(report.resolveSibling(Messages.MISTAKE_FILE), firstMessages, StandardCharsets.UTF_8);
        System.out.printf(Locale.ROOT, "=== %s: %s [%.1f s]%n", o.caught() ? "caught" : "NOT caught", o.detail(), (System.nanoTime() - t0) / 1e9);
        lines.add(o.name() + "\t" + o.step() + "\t" + (o.caught() ? "caught" : "bad") + "\t" + o.detail().replaceAll("[\\t\\r\\n]+", " "));
        synchronized (lines) { Files.write(report, lines, StandardCharsets.UTF_8); }
        String by = System.getProperty(CAUGHT_BY);
        if (o.caught() && by != null) {
          catchers.add(m.name() + "\t" + Catchers.digest(fingerprint, m.patch()) + "\t" + by);
          Files.write(report.resolveSibling(CATCHERS), catchers, StandardCharsets.UTF_8);
        }
      }
    } finally {
      current = null;
      System.clearProperty("workbook.stopWhenCaught");
      System.clearProperty(WarmRunner.TIMING);
      restore(labCopy, solution);
      Files.deleteIfExists(results);
    }
    return 0;
  }

  private static volatile Mistake current;

  /**
   * Every test has its own timeout, but a mistake could still block the runner itself: after
   * SECONDS_EACH on one mistake, it is reported as not finished and this JVM ends (the rest
   * of the lab's mistakes are then reported as not run).
   */
  private static Thread watch(Mistake m, Path report, List<String> lines) {
    current = m;
    Thread t = new Thread(() -> {
      try {
        TimeUnit.SECONDS.sleep(SECONDS_EACH);
      } catch (InterruptedException e) {
        return;
      }
      if (current != m) return;
      synchronized (lines) {
        lines.add(m.name() + "\t" + m.step() + "\tbad\tstill running after " + SECONDS_EACH + " s: a test never ended");
        try {
          Files.write(report, lines, StandardCharsets.UTF_8);
        } catch (IOException ignored) {
          // the parent reports it as not run
        }
      }
      System.out.println("=== stopped: mistake " + m.name() + " still running after " + SECONDS_EACH + " s");
      Runtime.getRuntime().halt(3);
    }, "mistake-watchdog");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * Lays the mistake over the solution and runs its step's tests. When an earlier run recorded
   * which test caught it, that test runs alone first: if it still fails naming the step's TODO,
   * that is the proof, and the step's other tests (which the mistake passes) cost nothing. If it
   * no longer catches it (the tests changed), the whole step runs in order, as it always did.
   */
  private static Outcome check(Mistake m, Path labCopy, WarmRunner warm, Path results, String catcher) throws IOException {
    if (!m.wellFormed()) return new Outcome(m.name(), 0, false, "line 1 must be \"step N: why this code is wrong\"");
    String applied = apply(m.patch(), labCopy);
    if (applied != null) return new Outcome(m.name(), m.step(), false, "the patch does not apply to the solution: " + applied);
    if (catcher != null) {
      System.out.println("=== first the test that caught it last time: " + catcher);
      Files.deleteIfExists(results);
      System.setProperty(ONLY, catcher);
      try {
        warm.run(results, String.valueOf(m.step()));
      } finally {
        System.clearProperty(ONLY);
      }
      Outcome first = verdict(m, results);
      if (first.caught()) return first;
      System.out.println("=== it no longer catches it (" + first.detail() + "): the whole step runs");
    }
    Files.deleteIfExists(results);
    warm.run(results, String.valueOf(m.step()));
    return verdict(m, results);
  }

  /** Whether the run's results show the mistake caught: a test of its step failed naming its TODO. */
  private static Outcome verdict(Mistake m, Path results) {
    Optional<Results> r = Results.read(results);
    if (r.isEmpty() || r.get().rows().isEmpty()) {
      return new Outcome(m.name(), m.step(), false, "with this mistake the lab does not compile or its tests did not run (a mistake must compile)");
    }
    String step = "step" + m.step();
    if (r.get().rows().stream().noneMatch(row -> row[0].equals(step))) {
      return new Outcome(m.name(), m.step(), false, "the lab has no test tagged " + step);
    }
    List<String> messages = r.get().failureMessages(step);
    if (messages.isEmpty()) return new Outcome(m.name(), m.step(), false, "stays green: every test of step " + m.step() + " passes with it");
    Pattern todo = Pattern.compile("\\bTODO " + m.step() + "\\b");
    Optional<String> named = messages.stream().filter(msg -> todo.matcher(msg).find()).findFirst();
    if (named.isEmpty()) {
      return new Outcome(m.name(), m.step(), false, "red at step " + m.step() + ", but no message names TODO " + m.step() + ": " + shorten(messages.get(0)));
    }
    return new Outcome(m.name(), m.step(), true, shorten(named.get()));
  }

  /** Applies a patch with git in the lab copy (which is no repository); null when it applied, else why not. */
  static String apply(Path patch, Path labCopy) {
    ProcessBuilder pb = new ProcessBuilder("git", "apply", "--whitespace=nowarn", patch.toAbsolutePath().toString())
        .directory(labCopy.toFile()).redirectErrorStream(true);
    // Never let git find a repository above the copy: the paths are relative to the lab folder.
    pb.environment().put("GIT_CEILING_DIRECTORIES", labCopy.getParent().toString());
    try {
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "git apply did not finish";
      }
      return p.exitValue() == 0 ? null : out.lines().findFirst().orElse("git apply failed");
    } catch (IOException e) {
      return "git could not run: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  private static Map<Path, byte[]> snapshot(Path dir) throws IOException {
    Map<Path, byte[]> files = new HashMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path f : all.filter(Files::isRegularFile).toList()) files.put(dir.relativize(f), Files.readAllBytes(f));
    }
    return files;
  }

  private static void restore(Path dir, Map<Path, byte[]> files) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path f : all.filter(Files::isRegularFile).toList()) {
        if (!files.containsKey(dir.relativize(f))) Files.delete(f);
      }
    }
    for (Map.Entry<Path, byte[]> e : files.entrySet()) {
      Path f = dir.resolve(e.getKey());
      Files.createDirectories(f.getParent());
      Files.write(f, e.getValue());
    }
  }

  static String shorten(String s) {
    return s.length() > 160 ? s.substring(0, 157) + "..." : s;
  }
}
