//SOURCES ../../../../src/workbook/kafka/*.java

package workbook.tool.verify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import workbook.kafka.Broker;
import workbook.tool.base.Env;
import workbook.tool.base.Fs;
import workbook.tool.base.Git;
import workbook.tool.content.Labs;
import workbook.tool.content.Results;

/**
 * Checks the workbook's invariants for every lab, in temporary copies laid out like the repo,
 * never touching the learner's files: (1) the starter compiles and its demo runs, (2) every step
 * fails on the starter, (3) every test passes with the solution laid over it, (4) the solution
 * holds only files the starter has, plus its catalogue of mistakes/ (and mutate's
 * equivalent-mutants.txt), (5) every mistake laid over
 * the solution turns a test of its own step red, with a message naming that step's TODO, (6) the
 * first failure message of the starter at each step, and of each mistake, names its step
 * (recorded for {@code messages} in .workbook/messages/NN.tsv).
 * Ends with the line "N passed, N failed".
 */
public final class Verify {
  private static final long DEMO_SECONDS = 240; // a few seconds on a quiet laptop; generous for a loaded CI machine
  private static final long TEST_SECONDS = 600;
  private static final int MIN_MISTAKES = 8;

  private final Labs labs;
  private final Map<String, String> env = new HashMap<>();
  private int passed;
  private int failed;
  private int mistakesTried;
  private int mistakesCaught;
  private int messagesRecorded;
  private int messagesUnnamed;
  private boolean asIs;
  private boolean keep;
  private Path scratch;

  public Verify(Labs labs) { this.labs = labs; }

  public int run(List<String> args) {
    List<Labs.Lab> chosen = new ArrayList<>();
    for (String a : args) {
      if (a.equals("--as-is")) asIs = true;
      else if (a.equals("--keep")) keep = true;
      else chosen.add(labs.lab(a));
    }
    boolean everything = chosen.isEmpty();
    if (everything) chosen = labs.all();
    long t0 = System.nanoTime();
    System.out.println("Verifying " + (everything ? "the workbook and all " + chosen.size() + " labs" : chosen.size() + " lab(s)")
        + (asIs ? ", as they are in the work tree" : ", each as committed where you changed it") + "...");
    shareOneBroker(chosen);
    buildScriptDependencies(chosen, everything);
    try {
      scratch = Fs.tempDir("verify");
      Path dir = scratch;
      // Ctrl-C in the middle of a lab, or a kill of this JVM alone: the checks' processes (a lab's
      // JVM, its demo, a JBang build, a self-test) end with it, then the hook removes their copies.
      // No check starts after that, and one starting its process at that very moment (its thread
      // still running while the hook does) is ended by the next sweep: until none is left, 5 s at most.
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        pool.shutdownNow();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        do {
          ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            break;
          }
        } while (ProcessHandle.current().descendants().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline);
        Fs.delete(dir);
      }, "verify-cleanup"));
      // The longest first, so the run does not end waiting on one long check that started late.
      for (Labs.Lab lab : chosen) {
        later(name(lab), 30 + 3L * Mistakes.of(lab.solutionDir()).size(), () -> check(lab));
      }
      if (everything) selfChecks();
      startLongestFirst();
      awaitAll();
      Seconds.remember(labs.root, took);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create a temporary folder for verify", e);
    } finally {
      if (scratch != null) Fs.delete(scratch);
    }
    System.out.printf(Locale.ROOT, "Verify took %.0f s.%n", (System.nanoTime() - t0) / 1e9);
    System.out.println("Mistakes: " + mistakesTried + " tried, " + mistakesCaught + " caught at their own step.");
    System.out.println("First messages: " + messagesRecorded + " recorded in .workbook/messages/, " + messagesUnnamed
        + " do not name their step (./jbang workbook@. messages shows them side by side).");
    System.out.println(passed + " passed, " + failed + " failed");
    return failed == 0 ? 0 : 1;
  }

  /** One broker for every lab of this run, so each does not pay the start-up again. */
  private void shareOneBroker(List<Labs.Lab> chosen) {
    if (chosen.stream().anyMatch(Labs.Lab::usesBroker)) {
      env.put("KAFKA_BOOTSTRAP_SERVERS", Broker.bootstrapServers());
    }
  }

  private static final java.util.regex.Pattern DEPS_LINE = java.util.regex.Pattern.compile("(?m)^//DEPS\\s+(.+)$");

  /**
   * Several files depend on the same script (//DEPS ../../shared/src/workbook/grpc/LocalGrpc.java),
   * which JBang builds into one jar of its cache. Checks started at once on a fresh machine would
   * each build it and read one another's half-written jar ("package workbook.grpc does not
   * exist"), so each such script is built here first, one at a time: seconds on a fresh machine,
   * a cache hit after that.
   */
  private void buildScriptDependencies(List<Labs.Lab> chosen, boolean everything) {
    java.util.Set<Path> scripts = new java.util.TreeSet<>();
    List<Path> dirs = new ArrayList<>();
    for (Labs.Lab lab : chosen) {
      dirs.add(lab.dir());
      dirs.add(lab.solutionDir());
    }
    if (everything) dirs.add(labs.root.resolve("shared/test"));
    for (Path dir : dirs) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          java.util.regex.Matcher m = DEPS_LINE.matcher(Labs.read(f));
          while (m.find()) {
            for (String dep : m.group(1).trim().split("\\s+")) {
              if (dep.endsWith(".java")) scripts.add(f.getParent().resolve(dep).normalize());
            }
          }
        }
      } catch (IOException | UncheckedIOException e) {
        // a folder that is not there has nothing to build
      }
    }
    for (Path script : scripts) {
      if (!Files.isRegularFile(script)) continue; // the check that uses it reports it
      Labs.Run r = Labs.run(labs.root, labs.root, List.of("build", script.toString()), Map.of(), null, 900);
      if (!r.ok()) System.out.println("  could not build " + labs.root.relativize(script) + " first; the checks that use it will say why");
    }
  }

  /** The workbook's own tests (shared/test) and the generated-code check, if present. */
  private void selfChecks() {
    String conventions = "conventions (step numbers, hints, facts, lists, versions, starter and solution)";
    later(conventions, 10, () -> timed(conventions, () -> {
      List<String> problems = new Conventions(labs).check();
      if (problems.isEmpty()) return ok("all kept");
      problems.forEach(p -> System.out.println("    " + p));
      return bad(problems.size() + " broken (each above, with its file)", null);
    }));
    try (Stream<Path> files = Files.list(labs.root.resolve("shared/test"))) {
      for (Path test : files.filter(p -> p.toString().endsWith("Test.java")).sorted().toList()) {
        String name = "workbook self-test " + test.getFileName();
        later(name, 30, () -> timed(name, () -> {
          Labs.Run r = Labs.run(labs.root, labs.root, List.of(test.toString()), env, log(name), TEST_SECONDS);
          return r.ok() ? ok("all green") : bad("red", r);
        }));
      }
    } catch (IOException e) {
      // no self-tests folder: nothing to run
    }
    try (Stream<Path> files = Files.list(labs.root.resolve("shared/tool"))) {
      for (Path gen : files.filter(p -> p.getFileName().toString().matches("Generate.*\\.java")).toList()) {
        String name = "generated code is up to date (" + gen.getFileName() + " --check)";
        later(name, 30, () -> timed(name, () -> {
          Labs.Run r = Labs.run(labs.root, labs.root, List.of(gen.toString(), "--check"), Map.of(), log("gen"), TEST_SECONDS);
          return r.ok() ? ok("no difference") : bad("generated sources differ from the .proto files: run it without --check and commit", r);
        }));
      }
    } catch (IOException e) {
      // no tools folder
    }
  }

  private void check(Labs.Lab lab) {
    timed(name(lab), () -> checkLab(lab));
  }

  private static String name(Labs.Lab lab) {
    return lab.number() + " " + lab.title();
  }

  /**
   * Labs (and the self-checks) run four at a time (WORKBOOK_VERIFY_PARALLEL): most of a test's
   * time is waiting (on a broker, a deadline, a simulated latency), so a few at once fit two cores.
   */
  private static int runsAtOnce() {
    return (int) Math.min(64, Env.number("WORKBOOK_VERIFY_PARALLEL", 4, 1, "how many labs verify checks at once, e.g. 2"));
  }

  private final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(runsAtOnce(), r -> {
    Thread t = new Thread(r, "verify");
    t.setDaemon(true);
    return t;
  });
  private final List<java.util.concurrent.Future<?>> pending = new ArrayList<>();
  private final List<Planned> planned = new ArrayList<>();
  private final Map<String, Long> took = new java.util.concurrent.ConcurrentHashMap<>();

  /** A check to start, and how long it is expected to take (seconds). */
  private record Planned(String name, long expected, Runnable check) {}

  /** Plans a check; {@code guess} is its expected seconds when no earlier run measured it. */
  private void later(String name, long guess, Runnable check) {
    planned.add(new Planned(name, guess, check));
  }

  /**
   * Starts the planned checks, the longest expected first (as the last run on this machine
   * measured them, else as shared/tool/verify-seconds.tsv records a CI run): the pool then ends
   * with short checks filling the slots, never with one long check started last.
   */
  private void startLongestFirst() {
    Map<String, Long> last = Seconds.last(labs.root);
    planned.stream()
        .sorted(Comparator.comparingLong((Planned p) -> -last.getOrDefault(p.name(), p.expected())))
        .forEach(p -> pending.add(pool.submit(p.check())));
  }

  private void awaitAll() {
    for (int i = 0; i < pending.size(); i++) {
      try {
        pending.get(i).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (java.util.concurrent.ExecutionException e) {
        synchronized (this) { failed++; }
        System.out.println("✘ a check could not finish: " + e.getCause());
      }
    }
    pool.shutdown();
  }

  /**
   * One lab: its starter's demo through JBang, as a learner runs it; then one warm child JVM
   * ({@code _labcheck}) runs the starter's tests, the solution's, and every mistake's step.
   */
  private Verdict checkLab(Labs.Lab lab) throws IOException {
    Path work = keep ? Fs.tempDir("verify-" + lab.number())
        : Files.createDirectories(scratch.resolve(lab.number()));
    try {
      Path copy = layOut(lab, work);
      List<String> extra = extraSolutionFiles(lab);
      if (!extra.isEmpty()) return bad("solutions/" + lab.slug() + " has files the starter lacks: " + extra, null);
      if (lab.demo().isEmpty()) return bad("no lab" + lab.number() + " alias in jbang-catalog.json for its demo", null);
      int count = Mistakes.of(lab.solutionDir()).size();
      Path demo = work.resolve(labs.root.relativize(lab.demo().get()));
      Labs.Run d = Labs.run(work, work, List.of(demo.toString()), env, log(lab.number() + " demo"), DEMO_SECONDS);
      if (!d.ok()) return bad("the starter's demo did not run to the end (invariant 1)", d);
      long limit = 2 * TEST_SECONDS + 60L * count; // the starter's run, the solution's, a minute a mistake
      Catchers.handOver(labs.root, lab.number(), work.resolve(Mistakes.KNOWN_CATCHERS));
      Labs.Run r = Labs.runTool(work, List.of("_labcheck", copy.toString(), work.toString(), lab.solutionDir().toString()), env, log(lab.number() + " tests"), limit);
      keepLog(lab, r);
      Catchers.remember(labs.root, lab.number(), work.resolve(Mistakes.CATCHERS));
      List<Messages.Row> firstMessages = Messages.record(labs.root, lab, work); // what the starter and the mistakes said first
      if (r.timedOut()) return bad("its tests were stopped after " + limit + " s", r);
      Results starter = Results.read(work.resolve("starter.tsv")).orElse(new Results(List.of()));
      String starterProblem = starterProblem(starter);
      if (starterProblem != null) return bad(starterProblem, r);
      Results solution = Results.read(work.resolve("solution.tsv")).orElse(new Results(List.of()));
      if (!solution.green()) {
        // The failing tests by name and first message: the log's tail (shown below) may hold only the tests after them.
        return bad("with the solution, " + solution.summary() + " (invariant 3)" + solution.failures().stream()
            .map(f -> "\n      " + (f.length() > 600 ? f.substring(0, 597) + "..." : f)).collect(java.util.stream.Collectors.joining()), r);
      }
      String summary = "starter red in " + starter.steps().size() + "/" + starter.steps().size() + " steps, solution green ("
          + solution.count("passed") + " tests), demo runs";
      if (count < MIN_MISTAKES) {
        return bad(summary + ", but " + count + " mistakes in solutions/" + lab.slug() + "/mistakes/: a lab keeps at least "
            + MIN_MISTAKES + " (docs/lab-anatomy.md, \"The catalogue of mistakes\")", null);
      }
      return messages(mistakes(lab, work.resolve("mistakes.tsv"), r, summary), firstMessages);
    } finally {
      if (keep) System.out.println("    kept " + work);
      else Fs.delete(work);
    }
  }

  /**
   * The lab's test log is kept as .workbook/verify-logs/NN.log (the last verify of that lab):
   * its "=== caught: ... [4.2 s]" lines say which mistakes cost verify its time.
   */
  private void keepLog(Labs.Lab lab, Labs.Run r) {
    if (r.log() == null || !Files.exists(r.log())) return;
    try {
      Path kept = Files.createDirectories(labs.root.resolve(".workbook/verify-logs")).resolve(lab.number() + ".log");
      Files.copy(r.log(), kept, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      // only a maintainer's aid: verify's outcome does not depend on it
    }
  }

  /** Invariant 5: every mistake of the catalogue is caught at its own step. */
  private Verdict mistakes(Labs.Lab lab, Path report, Labs.Run r, String summary) {
    List<Mistakes.Mistake> all = Mistakes.of(lab.solutionDir());
    List<String[]> rows = new ArrayList<>();
    for (String line : Labs.read(report).split("\\R")) {
      String[] cols = line.split("\\t", 4);
      if (cols.length == 4) rows.add(cols);
    }
    List<String> missed = new ArrayList<>();
    for (Mistakes.Mistake m : all) {
      Optional<String[]> row = rows.stream().filter(c -> c[0].equals(m.name())).findFirst();
      String detail = row.map(c -> c[1].equals("0") ? c[3] : "step " + c[1] + ": " + c[3])
          .orElse(r.timedOut() ? "not run: the lab's run was stopped after its time limit" : "not run (see the log)");
      if (row.isEmpty() || !row.get()[2].equals("caught")) missed.add(m.name() + " (" + detail + ")");
    }
    String counts = (all.size() - missed.size()) + " of " + all.size() + " mistakes caught at their own step";
    synchronized (this) {
      mistakesTried += all.size();
      mistakesCaught += all.size() - missed.size();
    }
    if (missed.isEmpty()) return ok(summary + ", " + counts);
    return bad(summary + ", but only " + counts + "; not caught:\n      " + String.join("\n      ", missed), rows.isEmpty() ? r : null);
  }

  /**
   * Invariant 6: the first message a learner reads, on the starter at each step and with each
   * mistake, names its step ("TODO N" or "step N"): it is all they have to go on.
   */
  private Verdict messages(Verdict v, List<Messages.Row> rows) {
    List<String> unnamed = Messages.unnamed(rows);
    synchronized (this) {
      messagesRecorded += rows.size();
      messagesUnnamed += unnamed.size();
    }
    if (unnamed.isEmpty()) return v.ok() ? ok(v.detail() + ", every first message names its step") : v;
    return bad(v.detail() + "; " + unnamed.size() + " of " + rows.size() + " first messages do not name their step"
        + " (invariant 6):\n      " + String.join("\n      ", unnamed), v.run());
  }

  /** Invariant 2: every step has a failing test on the starter, and the given tests pass. */
  static String starterProblem(Results r) {
    if (r.rows().isEmpty()) return "the starter's tests did not run (compile error?) (invariant 1)";
    if (r.steps().isEmpty()) return "no test is tagged with a step (@Tag(\"step1\"))";
    List<String> green = r.steps().stream().filter(s -> !r.stepFailed(s)).toList();
    if (!green.isEmpty()) return "on the starter, " + green + " already pass: a step that is green before the learner starts teaches nothing (invariant 2)";
    if (!r.failingGiven().isEmpty()) return "tests outside any step fail on the starter: " + r.failingGiven();
    return null;
  }

  /** The lab's folder as committed (or as it is, with --as-is or for a new lab), plus shared/. */
  private Path layOut(Labs.Lab lab, Path work) throws IOException {
    Fs.copyTree(labs.root.resolve("shared"), work.resolve("shared"));
    for (String f : List.of("jbang", "jbang.cmd", "jbang-catalog.json")) {
      if (Files.exists(labs.root.resolve(f))) Files.copy(labs.root.resolve(f), work.resolve(f));
    }
    String rel = "labs/" + lab.slug();
    if (!asIs && Git.differsFromHead(labs.root, rel)) {
      System.out.println("    (labs/" + lab.slug() + " has changes: checking the committed starter; --as-is checks your files)");
      if (!Git.exportHead(labs.root, rel, work)) throw new IOException("git could not export " + rel);
    } else {
      Fs.copyTree(lab.dir(), work.resolve(rel));
    }
    return work.resolve(rel);
  }

  private List<String> extraSolutionFiles(Labs.Lab lab) throws IOException {
    if (!Files.isDirectory(lab.solutionDir())) return List.of("(no solutions/" + lab.slug() + " folder)");
    try (Stream<Path> files = Files.walk(lab.solutionDir())) {
      return files.filter(Files::isRegularFile).map(p -> lab.solutionDir().relativize(p))
          .filter(p -> !p.startsWith("mistakes")) // the catalogue of wrong answers
          .filter(p -> !p.toString().equals(Mutate.EQUIVALENTS)) // mutate's list of mutants no test can catch
          .filter(p -> !Files.exists(lab.dir().resolve(p))).map(Path::toString).toList();
    }
  }

  /** The solution's files over the starter's in a lab copy (its mistakes/ and equivalent mutants stay out). */
  static void overlaySolution(Path solutionDir, Path copy) throws IOException {
    try (Stream<Path> files = Files.walk(solutionDir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        if (solutionDir.relativize(f).startsWith("mistakes") || f.getFileName().toString().equals(Mutate.EQUIVALENTS)) continue;
        Path dst = copy.resolve(solutionDir.relativize(f));
        Files.createDirectories(dst.getParent());
        Files.copy(f, dst, StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  // --- reporting -------------------------------------------------------------------------

  record Verdict(boolean ok, String detail, Labs.Run run) {}

  private static Verdict ok(String detail) { return new Verdict(true, detail, null); }

  private static Verdict bad(String detail, Labs.Run run) { return new Verdict(false, detail, run); }

  interface Check { Verdict get() throws IOException; }

  /** Checks started and ended, for the progress lines: a check can take minutes, the whole run ten. */
  private final java.util.concurrent.atomic.AtomicInteger begun = new java.util.concurrent.atomic.AtomicInteger();
  private int ended;
  private final long verifyStarted = System.nanoTime();

  private String progress() {
    int total = pending.size();
    return String.format(Locale.ROOT, "%d of %d done, %.0f s in, %d left", ended, total,
        (System.nanoTime() - verifyStarted) / 1e9, total - ended);
  }

  private void timed(String name, Check check) {
    long t0 = System.nanoTime();
    int nth = begun.incrementAndGet();
    synchronized (this) {
      System.out.printf(Locale.ROOT, "  started %s  [%.0f s in; %d running]%n", name, (t0 - verifyStarted) / 1e9, nth - ended);
    }
    Verdict v;
    try {
      v = check.get();
    } catch (IOException | RuntimeException e) {
      v = bad("could not be checked: " + e.getMessage(), null);
    }
    String secs = String.format(Locale.ROOT, "%.0f s", (System.nanoTime() - t0) / 1e9);
    took.put(name, Math.round((System.nanoTime() - t0) / 1e9));
    synchronized (this) {
      ended++;
      System.out.println((v.ok() ? "✔ " : "✘ ") + name + ": " + v.detail() + "  [" + secs + "; " + progress() + "]");
      if (v.ok()) passed++;
      else { failed++; showLog(v.run()); }
    }
  }

  private static void showLog(Labs.Run run) {
    if (run == null || run.log() == null || !Files.exists(run.log())) return;
    if (run.timedOut()) System.out.println("    (it was stopped after its time limit)");
    try {
      List<String> all = Files.readAllLines(run.log());
      List<String> ours = all.stream().filter(l -> !l.startsWith("[jbang]")).toList();
      List<String> lines = ours.stream().anyMatch(l -> !l.isBlank()) ? ours : all; // only JBang spoke: what it said
      lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> System.out.println("    | " + l));
    } catch (IOException | UncheckedIOException e) {
      System.out.println("    (its log could not be read)");
    }
  }

  private Path log(String name) {
    return scratch.resolve(name.replaceAll("\\W+", "-") + ".log");
  }
}
