///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
// Warm runs (watch, verify's mistakes, the daemon) run tests in threads: give them a main thread's stack.
// The quick JIT tier only: a warm run is over in a second, before the optimising compiler would
// pay back the core it takes from the tests (watch 14's saves: about 1.0 s with it, 0.5 s without).
//JAVA_OPTIONS -Xss8m -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
// The tool's sources are UTF-8 (✔, ✘): javac would read them in the locale's charset, and in a
// plain ASCII one (LANG=C, the consoles that most need the plain marks) not compile them at all.
//COMPILE_OPTIONS -encoding UTF-8
// The CLI (this file, Hints, Doctor, IdeProject) on the packages of workbook.tool (docs/architecture.md); each file
// names the shared sources it uses itself (the broker: run, verify and doctor).
//SOURCES Hints.java Doctor.java IdeProject.java
//SOURCES workbook/tool/base/*.java workbook/tool/content/*.java workbook/tool/run/*.java workbook/tool/verify/*.java
//SOURCES ../src/workbook/net/*.java ../src/workbook/room/*.java

import static workbook.tool.base.Exit.ENVIRONMENT;
import static workbook.tool.base.Exit.INTERNAL;
import static workbook.tool.base.Exit.USAGE;

import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import workbook.tool.base.EnvironmentProblem;
import workbook.tool.base.Git;
import workbook.tool.base.UserError;
import workbook.tool.content.LabList;
import workbook.tool.content.Labs;
import workbook.tool.content.Results;
import workbook.tool.run.Daemon;
import workbook.tool.run.LabRun;
import workbook.tool.run.RoomReport;
import workbook.tool.run.Watch;
import workbook.tool.verify.Conventions;
import workbook.tool.verify.Given;
import workbook.tool.verify.Messages;
import workbook.tool.verify.Mistakes;
import workbook.tool.verify.Mutate;
import workbook.tool.verify.Verify;

/**
 * The workbook tool: shows every lab and what to do next, runs a lab's tests (once or on every
 * save), gives hints in tiers, resets a lab, shows the solution, and verifies the whole workbook.
 * Its command line is picocli's: every verb has --help (and help VERB), --version names the
 * workbook, the JDK and JBang, and a mistake in the command is refused in one sentence, exit 2.
 */
@Command(name = "./jbang workbook@.", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT,
    subcommands = CommandLine.HelpCommand.class,
    usageHelpAutoWidth = true,
    description = "The workbook's tool: every lab, red or green; a lab's tests; hints; reset; verify.%n"
        + "With no command: list.",
    commandListHeading = "%nCommands (./jbang workbook@. help COMMAND, or COMMAND --help, tells more):%n",
    exitCodeListHeading = "%nExit codes (the same through the warm runner; errors go to standard error):%n",
    exitCodeList = {
        "0:green, or done",
        "1:tests red (or a check found problems)",
        "2:usage or bad input: a lab that does not exist, an unknown option, a bad variable",
        "3:the environment: no broker, no browser, a port taken, no network",
        "4:an internal error: its cause in one line, and where the log is"})
public class Workbook implements java.util.concurrent.Callable<Integer> {
  @Option(names = "--plain", scope = ScopeType.INHERIT,
      description = "[ok] and [FAIL] instead of ✔ and ✘ (also WORKBOOK_PLAIN=1; on by itself where the console cannot show them)")
  boolean plain;

  /** How test runs a lab: through JBang (and starts the warm runner after), or the warm runner's own way. */
  private final LabRun.Runner runner;
  private final boolean startWarmRunner;

  Workbook(LabRun.Runner runner, boolean startWarmRunner) {
    this.runner = runner;
    this.startWarmRunner = startWarmRunner;
  }

  public static void main(String[] args) {
    System.exit(execute(new Workbook(LabRun::jbangRun, true), args));
  }

  /** Runs a command line (the cold path's main, or a request to the warm runner) and returns its exit code. */
  static int execute(Workbook workbook, String[] args) {
    List<String> line = new ArrayList<>(List.of(args));
    // A lab's number alone runs its tests: ./jbang workbook@. 03 is ./jbang workbook@. test 03.
    if (!line.isEmpty() && line.get(0).matches("(lab)?\\d{1,2}")) line.add(0, "test");
    CommandLine cli = new CommandLine(workbook);
    cli.addSubcommand("completion", new AutoComplete.GenerateCompletion());
    cli.getSubcommands().get("completion").getCommandSpec().name("completion").usageMessage().hidden(false)
        .description("a completion script for bash or zsh: source <(./jbang workbook@. completion)");
    withVersion(cli, new Version());
    cli.setOut(new PrintWriter(System.out, true));
    cli.setErr(new PrintWriter(System.err, true));
    cli.setColorScheme(CommandLine.Help.defaultColorScheme(Plain.ansi()));
    cli.setParameterExceptionHandler((e, typed) -> {
      System.err.println(oneSentence(e));
      return USAGE;
    });
    cli.setExecutionExceptionHandler((e, c, parsed) -> exitFor(e));
    cli.setExecutionStrategy(parsed -> {
      if (!workbook.plain && !Plain.wanted()) return new CommandLine.RunLast().execute(parsed);
      // Plain marks for this command, and for the test JVMs it starts (WORKBOOK_PLAIN, read by LabTests).
      java.io.PrintStream before = System.out;
      System.setOut(Plain.marks(before));
      System.setProperty("workbook.plain", "true");
      try {
        return new CommandLine.RunLast().execute(parsed);
      } finally {
        System.out.flush();
        System.setOut(before);
        System.clearProperty("workbook.plain");
      }
    });
    return cli.execute(line.toArray(String[]::new));
  }

  /**
   * Every command's --version asks the provider only when it is printed. Named in the annotation,
   * with scope INHERIT, picocli would ask it as it copies the version into each subcommand: git
   * describe twenty times on every command, and on every request to the warm runner.
   */
  private static void withVersion(CommandLine cli, Version version) {
    cli.getCommandSpec().versionProvider(version);
    cli.getSubcommands().values().forEach(sub -> withVersion(sub, version));
  }

  /** The exit code for what a command threw, after saying it on standard error. */
  static int exitFor(Throwable e) {
    while ((e instanceof CommandLine.ExecutionException || e instanceof java.lang.reflect.InvocationTargetException) && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof UserError) {
      System.err.println(e.getMessage());
      return USAGE;
    }
    if (e instanceof EnvironmentProblem || e instanceof workbook.kafka.BrokerProblem) {
      System.err.println(e.getMessage());
      return ENVIRONMENT;
    }
    Path log = Path.of(System.getProperty("java.io.tmpdir"), "workbook-tool-error.log");
    try {
      Path root = Labs.findRoot();
      Files.createDirectories(root.resolve(".workbook"));
      log = root.resolve(".workbook/tool-error.log");
    } catch (RuntimeException | IOException notInside) {
      // the temporary folder, then
    }
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(log))) {
      e.printStackTrace(w);
    } catch (IOException ignored) {
      // the one line below still says what failed
    }
    System.err.println("The workbook tool failed: " + e + " (the details are in " + log + "; please report them).");
    return INTERNAL;
  }

  /** A refused command line in one sentence, pointing at the verb's --help. */
  static String oneSentence(CommandLine.ParameterException e) {
    CommandLine c = e.getCommandLine();
    String verb = c.getParent() == null ? "" : c.getCommandName();
    String help = "./jbang workbook@. " + (verb.isEmpty() ? "" : verb + " ") + "--help";
    if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      String first = u.getUnmatched().get(0);
      if (verb.isEmpty() && !first.startsWith("-")) {
        List<String> rest = u.getUnmatched().subList(1, u.getUnmatched().size());
        Optional<String> meant = didYouMean(first);
        if (meant.isPresent()) {
          List<String> again = new ArrayList<>(List.of("./jbang", "workbook@.", meant.get()));
          again.addAll(rest);
          return "Unknown command '" + first + "': did you mean " + meant.get() + "? " + String.join(" ", again);
        }
        return "Unknown command '" + first + "': use one of list, test, watch, hint, reset, restore, open, "
            + "solution, verify, doctor, prefetch (./jbang workbook@. help explains each).";
      }
      if (first.startsWith("-")) return "Unknown option '" + first + "'" + (verb.isEmpty() ? "" : " for " + verb) + ": " + help + " shows what it takes.";
      return (verb.isEmpty() ? "The tool" : verb) + " does not take '" + first + "': " + help + " shows what it takes.";
    }
    if (e instanceof CommandLine.MissingParameterException m && m.getMissing().stream().anyMatch(a -> a.paramLabel().equals("NN"))) {
      return "Which lab? Give its number, e.g. ./jbang workbook@. " + verb + " 01";
    }
    String message = e.getMessage().replaceFirst("\\.?$", "");
    return message + ": " + help + " shows what it takes.";
  }

  /** The commands a person types (the ones starting with _ are the tool's own). */
  static final List<String> VERBS = List.of("list", "test", "watch", "hint", "reset", "restore", "open", "solution",
      "verify", "conventions", "messages", "mutate", "sync", "mistakes", "lists", "daemon", "doctor", "prefetch", "room", "join", "leave", "help", "completion");

  private static Labs labs() {
    return new Labs(Labs.findRoot());
  }

  @Override
  public Integer call() {
    return list(labs());
  }

  @Command(name = "list", description = "every lab, red or green, and what to do next (the default)")
  int listCommand() {
    return list(labs());
  }

  @Command(name = "test", description = "run lab NN's tests (all, or the steps given)")
  int testCommand(@Parameters(index = "0", paramLabel = "NN", description = "the lab, e.g. 01") String lab,
      @Parameters(index = "1..*", arity = "0..*", paramLabel = "STEP", description = "only these steps, e.g. 2") List<String> steps) {
    Labs labs = labs();
    int exit = LabRun.test(labs, lab, steps == null ? List.of() : steps, runner);
    if (startWarmRunner) Daemon.startInBackground(labs); // the next run of any lab is warm
    return exit;
  }

  @Command(name = "watch", description = "run lab NN's tests again on every save (Ctrl-C to stop)")
  int watchCommand(@Parameters(index = "0", paramLabel = "NN", description = "the lab, e.g. 01") String lab,
      @Option(names = "--web", arity = "0..1", fallbackValue = "0", paramLabel = "PORT",
          description = "also serve each run's story, drawn, on http://127.0.0.1:PORT (any free port without one)") Integer web) {
    Labs labs = labs();
    Labs.Lab chosen = labs.lab(lab);
    return new Watch(labs, chosen, webPort(web)).run();
  }

  @Command(name = "hint", description = "the next hint for the first unfinished step of lab NN")
  int hintCommand(@Parameters(index = "0", paramLabel = "NN", description = "the lab, e.g. 01") String lab) {
    Labs labs = labs();
    return Hints.next(labs, labs.lab(lab));
  }

  @Command(name = "reset", description = "put lab NN back as the workbook shipped it (asks first, keeps a backup)")
  int resetCommand(@Parameters(index = "0", paramLabel = "NN", description = "the lab, e.g. 01") String lab,
      @Option(names = "--yes", description = "do not ask (your files are backed up either way)") boolean yes) {
    Labs labs = labs();
    return reset(labs, labs.lab(lab), yes);
  }

  @Command(name = "restore", description = "bring back the files the last reset of lab NN put aside")
  int restoreCommand(@Parameters(index = "0", paramLabel = "NN", description = "the lab, e.g. 01") String lab) {
    Labs labs = labs();
    return restore(labs, labs.lab(lab));
  }

  @Command(name = "open", description = "a project for your IDE with lab NN's files and every library it needs")
  int openCommand(@Parameters(index = "0", paramLabel = "NN", description = "the lab, e.g. 01") String lab,
      @Parameters(index = "1", arity = "0..1", paramLabel = "EDITOR", description = "idea or code: also open it there") String editor) {
    Labs labs = labs();
    return IdeProject.open(labs, labs.lab(lab), editor == null ? List.of() : List.of(editor));
  }

  @Command(name = "solution", description = "show how your files differ from lab NN's solution (changes nothing)")
  int solutionCommand(@Parameters(index = "0", paramLabel = "NN", description = "the lab, e.g. 01") String lab) {
    Labs labs = labs();
    return solution(labs, labs.lab(lab));
  }

  @Command(name = "verify", description = "check every lab (or these): starter red step by step, solution green, mistakes caught")
  int verifyCommand(@Parameters(arity = "0..*", paramLabel = "NN", description = "only these labs") List<String> chosen,
      @Option(names = "--as-is", description = "check the files as they are in the work tree, not as committed") boolean asIs,
      @Option(names = "--keep", description = "keep each lab's scratch copy (for a look after)") boolean keep) {
    List<String> args = new ArrayList<>(chosen == null ? List.of() : chosen);
    if (asIs) args.add("--as-is");
    if (keep) args.add("--keep");
    return new Verify(labs()).run(args);
  }

  @Command(name = "conventions", description = "check the maintainers' conventions only (verify checks them too)")
  int conventionsCommand() {
    return conventions(labs());
  }

  @Command(name = "messages", description = "the first failure message of each step and each mistake, as the last verify recorded them")
  int messagesCommand(@Parameters(arity = "0..*", paramLabel = "NN", description = "only these labs") List<String> chosen,
      @Option(names = "--run", description = "verify these labs first, to record their messages") boolean run) {
    List<String> args = new ArrayList<>(chosen == null ? List.of() : chosen);
    if (run) args.add("--run");
    return Messages.command(labs(), args);
  }

  @Command(name = "mutate", description = "PIT's mutants of lab NN's solution (its TODO regions) against its tests: score, survivors")
  int mutateCommand(@Parameters(index = "0", paramLabel = "NN", description = "the lab, e.g. 01") String lab,
      @Option(names = "--threads", paramLabel = "N", description = "mutants run at once") Integer threads,
      @Option(names = "--minutes", paramLabel = "N", description = "the overall limit") Integer minutes,
      @Option(names = "--mutators", paramLabel = "GROUP", description = "PIT's mutator group, e.g. STRONGER") String mutators,
      @Option(names = "--keep", description = "keep the scratch copy and PIT's report") boolean keep) {
    List<String> args = new ArrayList<>(List.of(lab));
    if (threads != null) args.add("--threads=" + threads);
    if (minutes != null) args.add("--minutes=" + minutes);
    if (mutators != null) args.add("--mutators=" + mutators);
    if (keep) args.add("--keep");
    return new Mutate(labs()).run(args);
  }

  @Command(name = "sync", description = "for maintainers: write lab NN's starter code outside its TODO regions from its solution")
  int syncCommand(@Parameters(index = "0", paramLabel = "NN", description = "the lab, e.g. 01") String lab) throws IOException {
    Labs labs = labs();
    return Given.sync(labs, labs.lab(lab));
  }

  /** What mistakes does: one action so far. */
  enum MistakesAction { rebase }

  @Command(name = "mistakes", description = "for maintainers: mistakes rebase NN re-makes lab NN's mistake patches on its solution as it is now")
  int mistakesCommand(@Parameters(index = "0", paramLabel = "rebase", description = "rebase: re-make each patch on today's solution; list those that no longer apply") MistakesAction action,
      @Parameters(index = "1", paramLabel = "NN", description = "the lab, e.g. 01") String lab,
      @Option(names = "--from", paramLabel = "REV", defaultValue = "HEAD",
          description = "the git revision whose solution the patches were made on (default: ${DEFAULT-VALUE})") String from) throws IOException {
    Labs labs = labs();
    return Given.rebase(labs, labs.lab(lab), from);
  }

  @Command(name = "lists", description = "write the lists of labs (catalog, README, docs) from the labs' README cards")
  int listsCommand() {
    return lists(labs());
  }

  @Command(name = "daemon", description = "the warm runner that makes test fast: daemon status, or daemon stop (it also stops itself when idle)")
  int daemonCommand(@Parameters(arity = "0..1", paramLabel = "stop|status", description = "status (the default) or stop") String what) {
    return Daemon.command(labs(), what == null ? List.of() : List.of(what));
  }

  @Command(name = "doctor", description = "check this machine before a workshop")
  int doctorCommand() {
    return new Doctor(labs()).doctor();
  }

  @Command(name = "prefetch", description = "download and compile everything, so the labs work offline")
  int prefetchCommand() {
    return new Doctor(labs()).prefetch();
  }

  @Command(name = "room", description = "for the instructor: a live page of which step every learner is on (learners opt in with join)")
  int roomCommand(
      @Option(names = "--port", paramLabel = "N", description = "the port to serve on (default 7070)") Integer port,
      @Option(names = "--lan", description = "listen on this laptop's network address, for the room (without it: this machine only, a rehearsal)") boolean lan,
      @Option(names = "--reset", description = "start a new session with a new code (the last one is kept aside in .workbook/room/)") boolean reset,
      @Option(names = "--stuck", paramLabel = "MINUTES", description = "a learner is marked stuck after this long on one red step (default 10)") Integer stuck,
      @Option(names = "--max", paramLabel = "N", description = "the most learners the room takes (default 100)") Integer max) {
    var defaults = workbook.room.RoomCommand.Options.DEFAULTS;
    int p = port == null ? defaults.port() : port;
    if (p < 1 || p > 65535) throw new UserError("--port takes a port number from 1 to 65535, e.g. --port 7070.");
    if (stuck != null && (stuck < 1 || stuck > 600)) throw new UserError("--stuck takes minutes from 1 to 600, e.g. --stuck 10.");
    if (max != null && (max < 1 || max > 1000)) throw new UserError("--max takes a number of learners from 1 to 1000, e.g. --max 100.");
    Labs labs = labs();
    return workbook.room.RoomCommand.room(labs.root, RoomReport.labs(labs), new workbook.room.RoomCommand.Options(p, lan, reset,
        stuck == null ? defaults.stuckMinutes() : stuck, max == null ? defaults.max() : max), System.out);
  }

  @Command(name = "join", description = "send the room one line about each of your test runs (lab, step, red or green; never your code)")
  int joinCommand(@Parameters(index = "0", paramLabel = "HOST:PORT", description = "the room's address, as the instructor shows it") String address,
      @Parameters(index = "1", paramLabel = "CODE", description = "the room's code, e.g. ABCD-1234") String code,
      @Option(names = "--name", required = true, paramLabel = "NAME", description = "the name the room shows for you") String name) {
    return workbook.room.RoomCommand.join(labs().root, address, code, name, System.out);
  }

  @Command(name = "leave", description = "stop sending the room anything")
  int leaveCommand() {
    return workbook.room.RoomCommand.leave(labs().root, System.out);
  }

  @Command(name = "_labcheck", hidden = true, description = "verify's child JVM, not for people")
  int labCheck(@Parameters(index = "0") Path copy, @Parameters(index = "1") Path work, @Parameters(index = "2") Path solution) {
    try {
      return Mistakes.checkLab(copy, work, solution);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Command(name = "_daemon", hidden = true, description = "the warm runner, started by test, not for people")
  int daemon() {
    RoomReport.longLived = true;
    return Daemon.serve(labs(), (runner, args) -> execute(new Workbook(runner, false), args));
  }

  /** --web with no port is 0 (any free one); none at all is -1 (no page served). */
  private static int webPort(Integer web) {
    if (web == null) return -1;
    if (web < 0 || web > 65535) throw new UserError("--web takes a port number from 1 to 65535, e.g. --web 8080 (or --web for any free port).");
    if (web > 0 && workbook.net.Ports.inUse(web)) {
      throw new EnvironmentProblem("Port " + web + " is already in use: choose another with --web PORT, or --web for any free one.");
    }
    return web;
  }

  /** The workbook's version (git describe, or the VERSION file of a copy without git), the JDK's and JBang's, in one line. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String jdk = System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")";
      String jbang = Optional.ofNullable(System.getenv("WORKBOOK_JBANG_VERSION")).orElseGet(Version::installedJBang);
      return new String[] {"workbook " + workbookVersion() + ", JDK " + jdk + ", JBang " + jbang};
    }

    /** The version of a JBang of one's own (on the PATH): ./jbang names the one it fetched itself. */
    static String installedJBang() {
      try {
        Process p = new ProcessBuilder("jbang", "version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        return p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0 && !out.isEmpty() ? out.lines().findFirst().orElse(out) : "(unknown)";
      } catch (IOException e) {
        return "(unknown)";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "(unknown)";
      }
    }

    static String workbookVersion() {
      try {
        return Git.workbookVersion(Labs.findRoot());
      } catch (RuntimeException e) {
        return "(unknown)"; // not inside the workbook
      }
    }
  }

  /** Whether the tool speaks plain ASCII and no escape codes: NO_COLOR, TERM=dumb, not a terminal. */
  static final class Plain {
    private Plain() {}

    /** [ok]/[FAIL] asked for (WORKBOOK_PLAIN=1), or needed: standard output's charset cannot encode ✔ and ✘. */
    static boolean wanted() {
      String env = System.getenv("WORKBOOK_PLAIN");
      if (env != null && !env.isBlank()) {
        if (!env.matches("1|true|0|false")) throw new UserError("WORKBOOK_PLAIN must be 1 or 0 (or unset): it is '" + env + "'.");
        return env.matches("1|true");
      }
      return !consoleCharset().newEncoder().canEncode("✔✘·");
    }

    /**
     * The charset standard output is shown in: stdout.encoding (JDK 19+: the console's, or the
     * locale's), sun.stdout.encoding (a Windows console), else the locale's (native.encoding;
     * JDK 18+ default to UTF-8 whatever the console, so the default charset is the last guess).
     */
    static java.nio.charset.Charset consoleCharset() {
      for (String property : List.of("stdout.encoding", "sun.stdout.encoding", "native.encoding")) {
        String name = System.getProperty(property);
        if (name == null || name.isBlank()) continue;
        try {
          return java.nio.charset.Charset.forName(name);
        } catch (RuntimeException unknown) {
          // an encoding this JVM cannot name: the next guess
        }
      }
      return java.nio.charset.Charset.defaultCharset();
    }

    /** The stream with ✔, ✘ and · as [ok], [FAIL] and -, written as UTF-8 (the rest is unchanged). */
    static java.io.PrintStream marks(java.io.OutputStream out) {
      return new java.io.PrintStream(new PlainMarks(out), true, java.nio.charset.StandardCharsets.UTF_8);
    }

    static CommandLine.Help.Ansi ansi() {
      boolean off = System.getenv("NO_COLOR") != null || "dumb".equals(System.getenv("TERM")) || System.console() == null;
      return off ? CommandLine.Help.Ansi.OFF : CommandLine.Help.Ansi.AUTO;
    }
  }

  /** Rewrites the UTF-8 of ✔, ✘ and · as plain ASCII, byte by byte (a mark may come split across writes). */
  static final class PlainMarks extends java.io.FilterOutputStream {
    private static final byte[][] FROM = {"✔".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        "✘".getBytes(java.nio.charset.StandardCharsets.UTF_8), "·".getBytes(java.nio.charset.StandardCharsets.UTF_8)};
    private static final String[] TO = {"[ok]", "[FAIL]", "-"};
    private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

    PlainMarks(java.io.OutputStream out) { super(out); }

    @Override
    public synchronized void write(int b) throws IOException {
      pending.write(b);
      byte[] p = pending.toByteArray();
      boolean prefix = false;
      for (int i = 0; i < FROM.length; i++) {
        if (p.length > FROM[i].length || !java.util.Arrays.equals(p, 0, p.length, FROM[i], 0, p.length)) continue;
        if (p.length == FROM[i].length) {
          out.write(TO[i].getBytes(java.nio.charset.StandardCharsets.US_ASCII));
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

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      for (int i = off; i < off + len; i++) write(b[i]);
    }

    @Override
    public synchronized void flush() throws IOException {
      out.flush();
    }
  }

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
