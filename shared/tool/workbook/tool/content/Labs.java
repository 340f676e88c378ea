package workbook.tool.content;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import workbook.tool.base.Json;
import workbook.tool.base.UserError;

/** Finds the labs of the workbook and runs their files through the project's ./jbang. */
public final class Labs {
  private static final Pattern LAB_DIR = Pattern.compile("(\\d\\d)-[a-z0-9-]+");

  /** One lab: its number, folders and files. */
  public record Lab(String number, String slug, Path dir, Path solutionDir, Optional<Path> demo) {
    /** The title its README gives it ("# Lab NN: Title"), or its folder's name. */
    public String title() {
      return readme().title().orElse(slug);
    }

    /** How many steps the lab has: its README's "## Step N" sections. */
    public int steps() {
      return readme().steps().size();
    }

    /** Its README, parsed once (again only when the file changes). */
    public LabReadme readme() {
      return LabReadme.of(dir.resolve("README.md"), "labs/" + slug + "/README.md", number);
    }

    public Optional<Path> testFile() {
      try (Stream<Path> files = Files.list(dir)) {
        return files.filter(p -> p.getFileName().toString().endsWith("Test.java")).sorted().findFirst();
      } catch (IOException e) {
        return Optional.empty();
      }
    }

    public boolean usesBroker() {
      return sourcesMention("workbook/kafka");
    }

    private boolean sourcesMention(String text) {
      try (Stream<Path> files = Files.list(dir)) {
        return files.filter(p -> p.toString().endsWith(".java")).anyMatch(p -> read(p).contains(text));
      } catch (IOException e) {
        return false;
      }
    }
  }

  public final Path root;
  final Map<String, Lab> byNumber = new LinkedHashMap<>();

  public Labs(Path root) {
    this.root = root;
    Map<String, String> demos = demosFromCatalog();
    try (Stream<Path> dirs = Files.list(root.resolve("labs"))) {
      dirs.filter(Files::isDirectory).sorted().forEach(d -> {
        Matcher m = LAB_DIR.matcher(d.getFileName().toString());
        if (!m.matches()) return;
        String n = m.group(1);
        Optional<Path> demo = Optional.ofNullable(demos.get("lab" + n)).map(root::resolve);
        byNumber.put(n, new Lab(n, d.getFileName().toString(), d,
            root.resolve("solutions").resolve(d.getFileName()), demo));
      });
    } catch (IOException e) {
      throw new UncheckedIOException("Could not list " + root.resolve("labs"), e);
    }
  }

  /** The workbook's root: this folder or the nearest parent holding jbang-catalog.json and labs/. */
  public static Path findRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("jbang-catalog.json")) && Files.isDirectory(p.resolve("labs"))) return p;
    }
    throw new UserError("This is not inside the workbook: cd into the folder you cloned, then run the command again.");
  }

  /** The lab for "3", "03" or "lab03", or a sentence listing the valid numbers. */
  public Lab lab(String arg) {
    String n = arg.replaceFirst("^lab", "");
    if (n.matches("\\d")) n = "0" + n;
    Lab lab = byNumber.get(n);
    if (lab == null) {
      throw new UserError("There is no lab '" + arg + "': use one of " + String.join(", ", byNumber.keySet())
          + " (e.g. ./jbang workbook@. test " + byNumber.keySet().iterator().next() + ").");
    }
    return lab;
  }

  public List<Lab> all() {
    return new ArrayList<>(byNumber.values());
  }

  private Map<String, String> demosFromCatalog() {
    Map<String, String> demos = new LinkedHashMap<>();
    try {
      Catalog.parse(read(root.resolve("jbang-catalog.json"))).aliases().forEach((name, alias) -> {
        if (name.matches("lab\\d\\d") && !alias.scriptRef().isEmpty()) demos.put(name, alias.scriptRef());
      });
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
    return demos;
  }

  public static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** The command that runs JBang: the project's own launcher, so no install is needed. */
  static List<String> jbang(Path root) {
    boolean windows = File.separatorChar == '\\';
    return windows ? List.of("cmd", "/c", root.resolve("jbang.cmd").toString())
        : List.of("bash", root.resolve("jbang").toString());
  }

  /** Errors shown after a failed compile, as JBang's run shows them too (javac -Xmaxerrs 5). */
  public static final int MAX_ERRORS = 5;

  /** JBang's options for a learner's run: javac shows the first five errors, as the warm runner does. */
  public static final List<String> FIRST_ERRORS = List.of("-C=-Xmaxerrs", "-C=" + MAX_ERRORS,
      // The sources are UTF-8 (LabTests prints ✔): in an ASCII locale (LANG=C) javac would refuse them.
      "-C=-encoding", "-C=UTF-8");

  /** Result of a finished child process: exit code (or -1 on timeout) and where its output went. */
  public record Run(int exit, boolean timedOut, Path log, boolean noResults) {
    public Run(int exit, boolean timedOut, Path log) { this(exit, timedOut, log, false); }

    public boolean ok() { return exit == 0 && !timedOut; }

    /** Ended by Ctrl-C (SIGINT) or a kill (SIGTERM), as a shell reports it: 128 + the signal. */
    public boolean interrupted() { return !timedOut && (exit == 130 || exit == 143); }
  }

  /**
   * Runs ./jbang with args in dir, output to a log file (or to our console if log is null),
   * stdin closed, killed with its children after the timeout.
   */
  public static Run run(Path root, Path dir, List<String> args, Map<String, String> env, Path log, long timeoutSeconds) {
    List<String> cmd = new ArrayList<>(jbang(root));
    cmd.addAll(args);
    Run r = runCommand(cmd, dir, env, log, timeoutSeconds);
    if (!r.ok() && !r.timedOut() && (jbangCacheRace(log) || onlyJbangSpoke(log))) {
      r = runCommand(cmd, dir, env, log, timeoutSeconds);
    }
    return r;
  }

  /**
   * A run that failed before anything of ours ran: every line it printed is JBang's own ("[jbang] ..."),
   * as when it cannot read or write its cache while other JBang processes do (verify starts four at once).
   * A compile error is not one of these (javac's lines come without the prefix); such a run is tried once more.
   */
  private static boolean onlyJbangSpoke(Path log) {
    if (log == null) return false;
    try {
      List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.isBlank()).toList();
      return !lines.isEmpty() && lines.stream().allMatch(l -> l.startsWith("[jbang]"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** JBang's description of a file: its JSON, or none and what JBang said instead. */
  public record JbangInfo(Optional<com.fasterxml.jackson.databind.JsonNode> json, String said) {}

  /**
   * `jbang info tools FILE` (sources, resolved jars, JVM and compiler options), run from the
   * workbook's root with its output in a temporary file of folder (the system's when null).
   * A JBang that fails, or prints no JSON, gives an empty description and its output.
   */
  public static JbangInfo jbangInfo(Path root, Path file, Path folder, long timeoutSeconds) throws IOException {
    Path out = folder == null ? Files.createTempFile("workbook-info-", ".json") : Files.createTempFile(folder, "info-", ".json");
    try {
      Run r = run(root, root, List.of("info", "tools", file.toString()), Map.of(), out, timeoutSeconds);
      String text = Files.readString(out);
      int brace = text.indexOf('{');
      if (!r.ok() || brace < 0) return new JbangInfo(Optional.empty(), text);
      return new JbangInfo(Optional.of(Json.MAPPER.readTree(text.substring(brace))), text);
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /**
   * JBang 0.132 (the newest Maven Central serves here) can read its dependency cache while
   * another JBang process rewrites it, and stops with gson's "malformed JSON" before anything of
   * ours ran; verify starts several at once. Fixed upstream (jbangdev/jbang#2378); until then
   * such a run is tried once more.
   */
  private static boolean jbangCacheRace(Path log) {
    if (log == null) return false;
    try {
      String out = Files.readString(log);
      return out.contains("google/gson") && out.contains("malformed-json");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * The workbook tool again, in a new JVM started like this one (same classes, same options),
   * without JBang: nothing is resolved or compiled again, and an edit to the tool's sources
   * in the middle of a run cannot change (or race to rebuild) the code the children run.
   */
  public static Run runTool(Path dir, List<String> args, Map<String, String> env, Path log, long timeoutSeconds) {
    // Most of a child's time is waiting on sockets: the quick JIT tier and one GC thread spend
    // far less of two shared cores than the optimising compiler and parallel GC would.
    List<String> cmd = toolCommand(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), args);
    return runCommand(cmd, dir, env, log, timeoutSeconds);
  }

  /** The command that starts this tool again (verify's children, the daemon): this JVM's options, plus some. */
  public static List<String> toolCommand(List<String> moreOptions, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.addAll(moreOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "Workbook"));
    cmd.addAll(args);
    return cmd;
  }

  private static Run runCommand(List<String> cmd, Path dir, Map<String, String> env, Path log, long timeoutSeconds) {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(nullFile()));
    pb.environment().putAll(env);
    if (Boolean.getBoolean("workbook.plain")) pb.environment().put("WORKBOOK_PLAIN", "1"); // the test JVM's marks too
    if (log == null) {
      // To the console, less JBang's advice about --verbose, which only misleads a learner.
      pb.redirectErrorStream(true);
    } else {
      pb.redirectErrorStream(true).redirectOutput(log.toFile());
    }
    // A thread told to stop (verify stopped with Ctrl-C) starts nothing more: a process started now would outlive the run.
    if (Thread.currentThread().isInterrupted()) return new Run(-1, true, log);
    Process p = null;
    try {
      p = pb.start();
      if (log == null) copyToConsole(p);
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return new Run(-1, true, log);
      }
      for (Thread t : COPIERS) t.join(2000);
      COPIERS.clear();
      return new Run(p.exitValue(), false, log);
    } catch (IOException e) {
      throw new UserError("Could not run " + cmd.get(0) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      // Nobody waits for it any more: it ends here, with what it started, not after this JVM.
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Run(-1, true, log);
    }
  }

  private static void copyToConsole(Process p) {
    Thread t = new Thread(() -> {
      try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          if (line.startsWith("[jbang] Run with --verbose") || line.startsWith("[jbang] [ERROR] Error during compile")) continue;
          // javac's own note names a compiler option; a learner needs only what to do.
          Matcher more = MORE_ERRORS.matcher(line);
          if (more.matches()) line = "(only the first " + more.group(1) + " of " + more.group(2) + " errors are shown: fix these, then run it again)";
          System.out.println(line);
        }
      } catch (IOException ignored) {
        // the process ended
      }
    }, "console-copy");
    t.setDaemon(true);
    t.start();
    COPIERS.add(t);
  }

  private static final Pattern MORE_ERRORS = Pattern.compile("only showing the first (\\d+) errors, of (\\d+) total.*");

  private static final List<Thread> COPIERS = new java.util.concurrent.CopyOnWriteArrayList<>();

  public static File nullFile() {
    return new File(File.separatorChar == '\\' ? "NUL" : "/dev/null");
  }
}
