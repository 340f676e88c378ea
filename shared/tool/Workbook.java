///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
// Warm runs (watch, verify's mistakes, the daemon) run tests in threads: give them a main thread's stack.
// The quick JIT tier only: a warm run is over in a second, before the optimising compiler would
// pay back the core it takes from the tests (watch 14's saves: about 1.0 s with it, 0.5 s without).
//JAVA_OPTIONS -Xss8m -XX:TieredStopAtLevel=1
//SOURCES Labs.java Git.java Results.java Hints.java Verify.java Doctor.java Watch.java WarmRunner.java Mistakes.java Messages.java Conventions.java LabList.java Daemon.java WebWatch.java Mutate.java IdeProject.java
//SOURCES ../src/workbook/kafka/*.java ../src/workbook/net/*.java

import java.io.Console;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The workbook tool: shows every lab and what to do next, runs a lab's tests (once or on every
 * save), gives hints in tiers, resets a lab, shows the solution, and verifies the whole workbook.
 */
public class Workbook {
  static final String USAGE = """
      Usage: ./jbang workbook@. [command]
        list            every lab, red or green, and what to do next (the default)
        test NN [step]  run lab NN's tests (all, or one step)
        watch NN [--web]  run lab NN's tests again on every save (Ctrl-C to stop); --web also serves
                        each run's story, drawn, on http://127.0.0.1 (--web=PORT to choose the port)
        hint NN         the next hint for the first unfinished step of lab NN
        reset NN        put lab NN back as it was (asks first, keeps a backup)
        restore NN      bring back the files the last reset of lab NN put aside
        open NN [idea|code]  a project for your IDE with lab NN's files and every library it needs
        solution NN     show how your files differ from lab NN's solution
        verify [NN...]  check every lab (or these): starter red step by step, solution green, mistakes caught
        conventions     check the maintainers' conventions only (verify checks them too)
        messages [NN...]  the first failure message of each step and each mistake, as the last verify
                        recorded them, side by side; ✘ for one that does not name its step
        mutate NN       PIT's mutants of lab NN's solution (its TODO regions) against its tests: score, survivors
        lists           write the lists of labs (catalog, README, docs) from the labs' README cards
        daemon stop     stop the warm runner that makes test fast (it also stops itself when idle)
        doctor          check this machine before a workshop
        prefetch        download and compile everything, so the labs work offline""";

  /** A mistake of the person typing: one sentence, no stack trace, exit 2. */
  static final class UserError extends RuntimeException {
    UserError(String message) { super(message, null, false, false); }
  }

  public static void main(String[] args) {
    try {
      System.exit(run(args));
    } catch (UserError | workbook.kafka.BrokerProblem e) {
      // A setting or a command the person can fix: one sentence, no stack trace.
      System.err.println(e.getMessage());
      System.exit(2);
    }
  }

  static int run(String[] args) {
    String verb = args.length == 0 ? "list" : args[0];
    List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
    if (verb.equals("help") || verb.equals("--help") || verb.equals("-h")) {
      System.out.println(USAGE);
      return 0;
    }
    if (verb.equals("_labcheck")) return labCheck(rest); // verify's child JVM, not for people
    if (verb.equals("_daemon")) return Daemon.serve(new Labs(Labs.findRoot())); // started by test, not for people
    Labs labs = new Labs(Labs.findRoot());
    switch (verb) {
      case "list": return list(labs);
      case "test": return test(labs, one(rest, "test"), rest.subList(1, rest.size()));
      case "watch": return new Watch(labs, labs.lab(one(rest, "watch")), webPort(rest)).run();
      case "hint": return Hints.next(labs, labs.lab(one(rest, "hint")));
      case "reset": return reset(labs, labs.lab(one(rest, "reset")), rest.contains("--yes"));
      case "restore": return restore(labs, labs.lab(one(rest, "restore")));
      case "open": return IdeProject.open(labs, labs.lab(one(rest, "open")), rest.subList(1, rest.size()));
      case "solution": return solution(labs, labs.lab(one(rest, "solution")));
      case "verify": return new Verify(labs).run(rest);
      case "conventions": return conventions(labs);
      case "messages": return Messages.command(labs, rest);
      case "mutate": return new Mutate(labs).run(rest);
      case "lists": return lists(labs);
      case "daemon": return Daemon.command(labs, rest);
      case "doctor": return new Doctor(labs).doctor();
      case "prefetch": return new Doctor(labs).prefetch();
      default:
        if (verb.matches("(lab)?\\d{1,2}")) return test(labs, verb, rest);
        Optional<String> meant = didYouMean(verb);
        if (meant.isPresent()) {
          List<String> again = new ArrayList<>(List.of("./jbang", "workbook@.", meant.get()));
          again.addAll(rest);
          throw new UserError("Unknown command '" + verb + "': did you mean " + meant.get() + "? " + String.join(" ", again));
        }
        throw new UserError("Unknown command '" + verb + "': use one of list, test, watch, hint, reset, restore, open, "
            + "solution, verify, doctor, prefetch (./jbang workbook@. help explains each).");
    }
  }

  /** The commands a person types (the ones starting with _ are the tool's own). */
  static final List<String> VERBS = List.of("list", "test", "watch", "hint", "reset", "restore", "open", "solution",
      "verify", "conventions", "messages", "mutate", "lists", "daemon", "doctor", "prefetch", "help");

  /** The command a typo was probably meant to be: one or two keys off (a swap of two counts as one). */
  static Optional<String> didYouMean(String typed) {
    String t = typed.toLowerCase(java.util.Locale.ROOT);
    int limit = t.length() <= 4 ? 1 : 2;
    return VERBS.stream().filter(v -> keysOff(t, v) <= limit).min(java.util.Comparator.comparingInt(v -> keysOff(t, v)));
  }

  /** Edit distance with transpositions (optimal string alignment): "tets" is 1 from "test". */
  static int keysOff(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) d[i][0] = i;
    for (int j = 0; j <= b.length(); j++) d[0][j] = j;
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  static int conventions(Labs labs) {
    List<String> problems = new Conventions(labs).check();
    problems.forEach(System.out::println);
    System.out.println(problems.isEmpty() ? "Every convention is kept." : problems.size() + " convention(s) broken: each line above names its file.");
    return problems.isEmpty() ? 0 : 1;
  }

  static int lists(Labs labs) {
    LabList lists = new LabList(labs);
    if (!lists.cardProblems().isEmpty()) {
      lists.cardProblems().forEach(System.out::println);
      return 1;
    }
    List<String> changed = lists.write();
    System.out.println(changed.isEmpty() ? "Every list of labs is up to date." : "Wrote the lists of labs in " + String.join(", ", changed) + ".");
    return 0;
  }

  private static int labCheck(List<String> rest) {
    try {
      return Mistakes.checkLab(Path.of(rest.get(0)), Path.of(rest.get(1)), Path.of(rest.get(2)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int webPort(List<String> rest) {
    int port;
    try {
      port = WebWatch.portOption(rest);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
    if (port > 0 && workbook.net.Ports.inUse(port)) {
      throw new UserError("Port " + port + " is already in use: choose another with --web=PORT, or --web for any free one.");
    }
    return port;
  }

  private static String one(List<String> rest, String verb) {
    if (rest.isEmpty() || rest.get(0).startsWith("-")) {
      throw new UserError("Which lab? Give its number, e.g. ./jbang workbook@. " + verb + " 01");
    }
    return rest.get(0);
  }

  static int list(Labs labs) {
    System.out.println("Labs (status from your last test run of each):");
    Labs.Lab next = null;
    for (Labs.Lab lab : labs.all()) {
      Optional<Results> r = Results.last(labs.root, lab);
      String status = r.map(Results::summary).orElse("not run yet");
      String mark = r.map(x -> x.green() ? "✔" : "✘").orElse("·");
      if (next == null && !r.map(Results::green).orElse(false)) next = lab;
      System.out.printf("  %s %s  %-34s %s%n", mark, lab.number(), lab.title(), status);
    }
    if (next == null) {
      System.out.println("Every lab is green. Well done: try each README's \"Try breaking it\".");
    } else {
      System.out.println("Next: read labs/" + next.slug() + "/README.md, then ./jbang workbook@. test " + next.number());
    }
    return 0;
  }

  /** How a test run is carried out: through JBang in a new JVM, or warm in the workbook's daemon. */
  interface TestRunner {
    Labs.Run run(Labs labs, Labs.Lab lab, Path test, List<String> steps, Path results);
  }

  static int test(Labs labs, String number, List<String> steps) {
    int exit = test(labs, number, steps, Workbook::jbangRun);
    Daemon.startInBackground(labs); // the next run of any lab is warm
    return exit;
  }

  static int test(Labs labs, String number, List<String> steps, TestRunner runner) {
    Labs.Lab lab = labs.lab(number);
    Path test = lab.testFile().orElseThrow(() -> new UserError("Lab " + lab.number() + " has no *Test.java file."));
    String what = steps.isEmpty() ? "" : " step" + (steps.size() > 1 ? "s " : " ") + String.join(", ", steps);
    System.out.println("Testing lab " + lab.number() + what + " (" + lab.title() + ")...");
    long started = System.currentTimeMillis();
    Labs.Run run = runTests(labs, lab, test, steps, runner);
    if (run.interrupted()) return 130; // Ctrl-C: one line has said so, nothing more to say
    if (!run.ok()) WebWatch.tellIfDrawn(labs.root, lab.number(), started);
    if (run.exit() == 2) return 2; // a wrong step number: the launcher has said which steps exist
    if (run.timedOut()) {
      System.out.println("Stopped after " + TEST_SECONDS + " s: the tests never finished. Look for a wait with no bound in your code.");
    } else if (!run.ok() && run.noResults()) {
      System.out.println("It does not compile yet (or did not start): fix the first error above and run it again.");
    } else if (!run.ok()) {
      System.out.println("Not green yet: fix the first red step, or ./jbang workbook@. hint " + lab.number());
    } else if (!steps.isEmpty()) {
      System.out.println("Lab " + lab.number() + what + " is green. Next: ./jbang workbook@. test " + lab.number()
          + " (every step)");
    } else {
      System.out.println("Lab " + lab.number() + " is green. Next: ./jbang workbook@. list");
    }
    return run.ok() ? 0 : 1;
  }

  static Labs.Run jbangRun(Labs labs, Labs.Lab lab, Path test, List<String> steps, Path results) {
    List<String> args = new ArrayList<>(Labs.FIRST_ERRORS);
    args.add(test.toString());
    args.addAll(steps);
    return Labs.run(labs.root, labs.root, args, Map.of("WORKBOOK_RESULTS", results.toString()), null, TEST_SECONDS);
  }

  static final long TEST_SECONDS = 600;

  /**
   * Runs the lab's test file and keeps the per-test results for list and hint. A run that leaves
   * no results (it did not compile, or was stopped) is recorded as red, so list never shows an
   * old green.
   */
  static Labs.Run runTests(Labs labs, Labs.Lab lab, Path test, List<String> steps, Map<String, String> env, Path log) {
    return runTests(labs, lab, test, steps, (l, b, t, s, results) -> {
      List<String> args = new ArrayList<>(Labs.FIRST_ERRORS);
      args.add(t.toString());
      args.addAll(s);
      Map<String, String> withResults = new HashMap<>(env);
      withResults.put("WORKBOOK_RESULTS", results.toString());
      return Labs.run(labs.root, labs.root, args, withResults, log, TEST_SECONDS);
    });
  }

  static Labs.Run runTests(Labs labs, Labs.Lab lab, Path test, List<String> steps, TestRunner runner) {
    // A new file for this run, moved into place only when it is complete: Ctrl-C keeps the last result.
    try (Results.Pending pending = new Results.Pending(Results.file(labs.root, lab), lab.number())) {
      Labs.Run run = runner.run(labs, lab, test, steps, pending.file);
      boolean noResults = !Files.exists(pending.file);
      if (run.exit() == 2) return new Labs.Run(2, false, run.log(), noResults); // a wrong step number: nothing ran
      if (run.interrupted()) { // the test JVM was ended by Ctrl-C (or a kill)
        pending.interrupted();
        return new Labs.Run(run.exit(), false, run.log(), noResults);
      }
      if (noResults) Results.markUnfinished(pending.file, run.timedOut());
      // A one-step run must not hide the other steps' last results: its rows replace only theirs.
      pending.commit(!steps.isEmpty());
      return new Labs.Run(run.exit(), run.timedOut(), run.log(), noResults);
    }
  }

  static int reset(Labs labs, Labs.Lab lab, boolean yes) {
    List<String> changed = Git.changedFiles(labs.root, "labs/" + lab.slug());
    if (changed.isEmpty()) {
      System.out.println("Lab " + lab.number() + " is already as it was: nothing to reset.");
      return 0;
    }
    System.out.println("These files of lab " + lab.number() + " differ from the starter:");
    changed.forEach(f -> System.out.println("  " + f));
    if (!yes && !confirm("Put them back as they were? Your version is kept in .workbook/backup/ [y/N] ")) {
      System.out.println("Nothing changed.");
      return 0;
    }
    Path backup = backup(labs.root, lab, changed);
    Git.restore(labs.root, changed);
    Results.forget(labs.root, lab);
    System.out.println("Lab " + lab.number() + " is back to its starter. Your files are in " + labs.root.relativize(backup)
        + "; ./jbang workbook@. restore " + lab.number() + " brings them back.");
    return 0;
  }

  /** Puts back the files of the latest reset of a lab (keeping the current ones in a new backup first). */
  static int restore(Labs labs, Labs.Lab lab) {
    Path dir = labs.root.resolve(".workbook/backup");
    Optional<Path> latest;
    try (var all = Files.list(dir)) {
      latest = all.filter(p -> p.getFileName().toString().startsWith(lab.number() + "-")).max(Path::compareTo);
    } catch (IOException e) {
      latest = Optional.empty();
    }
    if (latest.isEmpty()) {
      System.out.println("Lab " + lab.number() + " has no backup to restore: reset keeps one each time it changes files.");
      return 1;
    }
    List<String> changed = Git.changedFiles(labs.root, "labs/" + lab.slug());
    if (!changed.isEmpty()) backup(labs.root, lab, changed);
    try (var files = Files.walk(latest.get())) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Path dst = lab.dir().resolve(latest.get().relativize(f).toString());
        Files.createDirectories(dst.getParent());
        Files.copy(f, dst, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("  restored labs/" + lab.slug() + "/" + latest.get().relativize(f));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not restore from " + latest.get(), e);
    }
    Results.forget(labs.root, lab);
    System.out.println("Lab " + lab.number() + " has your files of " + labs.root.relativize(latest.get()) + " again"
        + (changed.isEmpty() ? "." : " (the ones they replaced are in a new backup)."));
    return 0;
  }

  private static boolean confirm(String question) {
    Console console = System.console();
    if (console == null) {
      throw new UserError("reset needs a yes: run it in a terminal, or add --yes (your files are backed up either way).");
    }
    String answer = console.readLine(question);
    return answer != null && answer.trim().toLowerCase().startsWith("y");
  }

  private static Path backup(Path root, Labs.Lab lab, List<String> files) {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path dir = root.resolve(".workbook/backup/" + lab.number() + "-" + stamp);
    try {
      for (String f : files) {
        Path src = root.resolve(f);
        if (!Files.exists(src)) continue;
        Path dst = dir.resolve(root.resolve("labs").resolve(lab.slug()).relativize(src));
        Files.createDirectories(dst.getParent());
        Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not back up your files; nothing was reset", e);
    }
    return dir;
  }

  static int solution(Labs labs, Labs.Lab lab) {
    if (!Files.isDirectory(lab.solutionDir())) throw new UserError("Lab " + lab.number() + " has no solution folder.");
    System.out.println("How your files differ from the solution of lab " + lab.number()
        + " (- yours, + the solution); nothing is changed:");
    try (var files = Files.list(lab.solutionDir())) {
      for (Path sol : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) { // not mutate's equivalent-mutants.txt
        Path mine = lab.dir().resolve(sol.getFileName());
        Git.diff(labs.root, labs.root.relativize(mine).toString(), labs.root.relativize(sol).toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.out.println("To take the whole solution: cp solutions/" + lab.slug() + "/*.java labs/" + lab.slug() + "/");
    return 0;
  }
}
