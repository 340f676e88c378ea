//SOURCES ../../../../src/workbook/kafka/*.java

package workbook.tool.verify;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import workbook.tool.base.Fs;
import workbook.tool.base.UserError;
import workbook.tool.content.Labs;

/**
 * {@code mutate NN}: PIT's STRONGER mutators on the learner's code of lab NN's solution (the
 * lines of its TODO regions, found as conventions finds them), killed or not by the lab's own
 * tests. Prints the score, the time and every surviving mutant; a survivor listed in
 * solutions/NN-slug/equivalent-mutants.txt is reported as equivalent and left out of the score.
 * Exit 0 at 90 % or more, 1 below (or when PIT did not finish), 2 for a lab that does not exist.
 *
 * <p>PIT is resolved by JBang from shared/tool/pit/TodoLines.java when mutate runs, never as a
 * dependency of the tool: a learner's test or prefetch never downloads it. Everything runs in a
 * temporary folder (compiled classes, PIT's report, its child JVMs' temporary files) that is
 * removed at the end, after a time limit, or on Ctrl-C, with every process PIT started.
 */
public final class Mutate {
  static final double GOAL = 90.0;
  static final String EQUIVALENTS = "equivalent-mutants.txt";
  private static final long DEFAULT_MINUTES = 30;
  /** A line of equivalent-mutants.txt: "File.java:line mutator-or-description: why it cannot be caught". */
  private static final Pattern EQUIVALENT = Pattern.compile("^(\\S+\\.java):(\\d+)\\s+(.+?):\\s+(\\S.*)$");

  /** One mutant PIT made on a learner's line, and what became of it. */
  record Mutant(String file, int line, String mutator, String method, String description, String status, int index, String nth) {
    boolean killed() {
      // As PIT counts them: a mutant that made a test time out, run out of memory or crash is detected.
      return List.of("KILLED", "TIMED_OUT", "MEMORY_ERROR", "RUN_ERROR").contains(status);
    }

    String mutatorName() {
      return mutator.substring(mutator.lastIndexOf('.') + 1);
    }

    String where() {
      return file + ":" + line;
    }

    String show() {
      String why = status.equals("NO_COVERAGE") ? ", no test reaches it" : "";
      return where() + "  " + description + "  [" + mutatorName() + nth + " in " + method + why + "]";
    }
  }

  /** One line of equivalent-mutants.txt. */
  record Equivalent(String file, int line, String what, String why, String text) {
    /**
     * The mutator (its name as printed, with or without "Mutator", or PIT's class) or PIT's
     * description, optionally followed by which of several alike ones (", 2nd of 2 on the line");
     * without that, it names every one of them on the line.
     */
    boolean matches(Mutant m) {
      if (!m.file().equals(file) || m.line() != line) return false;
      for (String name : List.of(m.mutatorName(), m.mutator(), m.mutatorName().replaceFirst("Mutator$", ""), m.description())) {
        if (what.equalsIgnoreCase(name) || what.equalsIgnoreCase(name + m.nth())) return true;
      }
      return false;
    }
  }

  private final Labs labs;
  private int threads = 2;
  private long minutes = DEFAULT_MINUTES;
  private boolean keep;
  private String mutators = "STRONGER";
  private volatile Process pit;
  /** Set when the JVM is ending (Ctrl-C): PIT's end is then no failure to report. */
  private volatile boolean stopping;
  private volatile Path minionTmp;

  public Mutate(Labs labs) { this.labs = labs; }

  public int run(List<String> args) {
    Labs.Lab lab = null;
    for (String a : args) {
      if (a.startsWith("--threads=")) threads = positive(a, "--threads=N: how many mutants PIT runs at once, e.g. --threads=2");
      else if (a.startsWith("--minutes=")) minutes = positive(a, "--minutes=N: the overall limit, e.g. --minutes=60");
      else if (a.equals("--keep")) keep = true;
      else if (a.matches("--mutators=[A-Za-z0-9_,]+")) mutators = a.substring(a.indexOf('=') + 1);
      else if (a.startsWith("-")) throw new UserError("Unknown option '" + a + "': mutate takes NN, --threads=N, --minutes=N, --mutators=GROUP and --keep.");
      else if (lab != null) throw new UserError("mutate takes one lab at a time, e.g. ./jbang workbook@. mutate 01");
      else lab = labs.lab(a);
    }
    if (lab == null) throw new UserError("Which lab? Give its number, e.g. ./jbang workbook@. mutate 01");
    Labs.Lab chosen = lab;
    Path test = lab.testFile().orElseThrow(() -> new UserError("Lab " + chosen.number() + " has no *Test.java file."));
    if (!Files.isDirectory(lab.solutionDir())) throw new UserError("Lab " + lab.number() + " has no solutions/" + lab.slug() + " folder.");
    long t0 = System.nanoTime();
    System.out.println("Mutation testing lab " + lab.number() + " (" + lab.title() + "): PIT's " + mutators + " mutators on the"
        + " solution's TODO regions, against " + test.getFileName() + "...");
    Path scratch;
    try {
      scratch = Fs.tempDir("mutate");
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create a temporary folder for mutate", e);
    }
    // Ctrl-C or a kill in the middle: PIT and its child JVMs stop, the temporary folder goes.
    Thread cleanup = new Thread(() -> {
      stopping = true;
      stopPit();
      if (minionTmp != null) Fs.delete(minionTmp);
      if (!keep) Fs.delete(scratch);
    }, "mutate-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      return mutate(lab, test, scratch, t0);
    } catch (IOException | RuntimeException e) {
      // Ctrl-C while this thread still compiles or lists: the hook has removed the folder under it.
      if (stopping) return 1;
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    } finally {
      stopPit();
      if (minionTmp != null) Fs.delete(minionTmp);
      if (keep) System.out.println("Kept " + scratch + " (PIT's log pit.log, its report report/mutations.xml): remove it when done.");
      else Fs.delete(scratch);
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs anyway
      }
    }
  }

  private static int positive(String option, String usage) {
    try {
      int n = Integer.parseInt(option.substring(option.indexOf('=') + 1));
      if (n > 0) return n;
    } catch (NumberFormatException e) {
      // below
    }
    throw new UserError(usage);
  }

  private int mutate(Labs.Lab lab, Path test, Path scratch, long t0) throws IOException {
    // 1. The learner's lines: per solution file, the lines inside its starter's TODO regions.
    Map<String, TreeSet<Integer>> learner = learnerLines(lab);
    Path linesFile = scratch.resolve("todo-lines.txt");
    List<String> lines = new ArrayList<>();
    learner.forEach((file, ls) -> ls.forEach(l -> lines.add(file + ":" + l)));
    Files.write(linesFile, lines, StandardCharsets.UTF_8);

    // 2. What the tests need (JBang describes the lab's test file) and PIT itself (resolved only now).
    JsonNode info = jbangInfo(test, scratch);
    Path pitSource = labs.root.resolve("shared/tool/pit/TodoLines.java");
    JsonNode pitInfo = jbangInfo(pitSource, scratch);
    if (info == null || pitInfo == null) {
      System.out.println("JBang could not describe " + (info == null ? test.getFileName() : "PIT (shared/tool/pit/TodoLines.java)")
          + ": check the network (the first mutate downloads PIT) and its //DEPS lines.");
      return 1;
    }
    List<Path> jars = paths(info.path("resolvedDependencies"), null);
    if (!jars.stream().allMatch(Files::exists)) {
      // A //DEPS on a shared .java file (the gRPC labs' LocalGrpc.java) is a jar JBang builds on the lab's first run.
      Labs.run(labs.root, labs.root, List.of("build", test.toString()), Map.of(), scratch.resolve("build.log"), 900);
      List<Path> missing = jars.stream().filter(j -> !Files.exists(j)).toList();
      if (!missing.isEmpty()) {
        tail(scratch.resolve("build.log"));
        System.out.println("JBang did not build " + missing + " for " + test.getFileName() + ": see its log above.");
        return 1;
      }
    }
    List<Path> pitJars = paths(pitInfo.path("resolvedDependencies"), null);

    // 3. Compile the shared sources, the solution's files (in place of the starter's) and the test.
    List<Path> sources = new ArrayList<>();
    for (JsonNode s : info.path("sources")) {
      Path src = Path.of(s.path("backingResource").asText()).toAbsolutePath().normalize();
      Path solution = lab.solutionDir().resolve(src.getFileName().toString());
      boolean inLab = src.getParent().equals(lab.dir().toAbsolutePath().normalize());
      sources.add(inLab && Files.exists(solution) ? solution : src);
    }
    Path classes = Files.createDirectories(scratch.resolve("classes"));
    List<String> compileOptions = new ArrayList<>();
    info.path("compileOptions").forEach(o -> compileOptions.add(o.asText()));
    if (!compile(sources, jars, classes, compileOptions)) {
      System.out.println("The solution of lab " + lab.number() + " does not compile with its tests: fix that first (verify " + lab.number() + ").");
      return 1;
    }
    Path plugin = Files.createDirectories(scratch.resolve("plugin"));
    if (!compile(List.of(pitSource), pitJars, plugin, List.of())) {
      System.out.println("shared/tool/pit/TodoLines.java does not compile against this PIT version.");
      return 1;
    }
    Path services = Files.createDirectories(plugin.resolve("META-INF/services"));
    Files.writeString(services.resolve("org.pitest.mutationtest.build.MutationInterceptorFactory"), "TodoLines\n");

    // 4. Run PIT: the lab's own classes are its targets (the filter keeps the learner's lines), the test class and its steps its tests.
    String testClass = test.getFileName().toString().replaceFirst("\\.java$", "");
    List<String> targets = labClasses(lab, classes, testClass);
    Path report = scratch.resolve("report");
    Path cp = scratch.resolve("classpath.txt");
    List<String> classPath = new ArrayList<>(List.of(classes.toString()));
    jars.forEach(j -> classPath.add(j.toString()));
    // PIT's own jars last: where PIT and a lab need the same library, the lab's version wins in the
    // test JVMs (PIT's jopt-simple 4.9 before Kafka's 5.0 stopped the embedded broker of lab 10).
    pitJars.forEach(j -> classPath.add(j.toString()));
    Files.write(cp, classPath, StandardCharsets.UTF_8);
    // The test JVMs' temporary files, removed with the rest. A short path: Chromium (lab 16) puts a
    // Unix socket under it, and a socket's path must stay under 108 characters.
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"), "wbm-" + ProcessHandle.current().pid());
    Fs.delete(tmp); // left by a run that was killed outright (kill -9), whose number this one has now
    Files.createDirectories(tmp);
    minionTmp = tmp;
    List<String> childOptions = new ArrayList<>();
    info.path("runtimeOptions").forEach(o -> childOptions.add(o.asText()));
    // What LabTests asks of JUnit, as system properties (JUnit reads them there too).
    childOptions.addAll(List.of("-Djunit.jupiter.execution.timeout.default=60s",
        "-Djunit.jupiter.execution.timeout.thread.mode.default=SEPARATE_THREAD", "-Djava.io.tmpdir=" + tmp));
    if (childOptions.stream().anyMatch(o -> o.contains(","))) {
      System.out.println("A JAVA_OPTIONS value of the lab has a comma, which PIT's --jvmArgs cannot pass: " + childOptions);
      return 1;
    }
    String javaCmd = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(javaCmd, "-XX:+UseSerialGC", "-Xss8m", "-Djava.io.tmpdir=" + tmp,
        "-Dworkbook.todoLines=" + linesFile, "-cp", plugin + java.io.File.pathSeparator
            + String.join(java.io.File.pathSeparator, pitJars.stream().map(Path::toString).toList()),
        "org.pitest.mutationtest.commandline.MutationCoverageReport",
        "--reportDir", report.toString(), "--outputFormats", "XML", "--timestampedReports", "false",
        "--mutators", mutators, "--targetClasses", String.join(",", targets),
        "--targetTests", testClass + "," + testClass + "$*",
        "--classPathFile", cp.toString(), "--includeLaunchClasspath", "false", "--mutableCodePaths", classes.toString(),
        "--sourceDirs", lab.solutionDir().toString(), "--jvmPath", javaCmd, "--jvmArgs", String.join(",", childOptions),
        "--threads", String.valueOf(threads), "--timeoutFactor", "1.5", "--timeoutConst", "6000",
        "--failWhenNoMutations", "false",
        // PIT's own default (no mutant on a line that logs), and the workbook's story: lines a failing test prints, not what a lab teaches.
        "--avoidCallsTo", "java.util.logging,org.apache.log4j,org.slf4j,org.apache.commons.logging,workbook.story", "--verbosity", "QUIET_WITH_PROGRESS"));
    Map<String, String> env = new LinkedHashMap<>();
    if (lab.usesBroker()) {
      System.out.println("  (lab " + lab.number() + " needs Kafka: one broker for every mutant's tests)");
      env.put("KAFKA_BOOTSTRAP_SERVERS", workbook.kafka.Broker.bootstrapServers());
    }
    Path log = scratch.resolve("pit.log");
    Files.write(scratch.resolve("pit-command.txt"), cmd, StandardCharsets.UTF_8); // with --keep: run it again by hand
    System.out.println("  " + lines.size() + " learner's lines in " + learner.keySet() + "; PIT runs with " + threads
        + " thread(s), at most " + minutes + " min (--threads=N, --minutes=N)");
    int exit = runPit(cmd, env, log, t0);
    double took = (System.nanoTime() - t0) / 1e9;
    Path xml = report.resolve("mutations.xml");
    if (stopping) {
      System.out.println("Stopped: PIT and the JVMs it started are ended, its temporary folder removed.");
      return 1;
    }
    if (exit != 0 || !Files.exists(xml)) {
      tail(log);
      System.out.println(exit == -1 ? "Stopped after " + minutes + " min (--minutes=N raises the limit): no score."
          : "PIT did not finish (exit " + exit + ", its log above): no score.");
      return 1;
    }
    return report(lab, read(xml, learner), took);
  }

  // --- the learner's lines ------------------------------------------------------------------

  /**
   * For each solution file: the lines inside its starter's TODO regions (Conventions.todoRegions),
   * followed through the solution by a line diff, plus every line the solution adds or changes
   * (conventions allows those only inside the regions, as imports, or as whole new members).
   */
  static Map<String, TreeSet<Integer>> learnerLines(Labs.Lab lab) throws IOException {
    Map<String, TreeSet<Integer>> out = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(lab.solutionDir())) {
      for (Path sol : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        Path starter = lab.dir().resolve(sol.getFileName());
        if (!Files.exists(starter)) continue;
        TreeSet<Integer> ls = learnerLines(Files.readAllLines(starter), Files.readAllLines(sol));
        if (!ls.isEmpty()) out.put(sol.getFileName().toString(), ls);
      }
    }
    return out;
  }

  /** The 1-based lines of {@code solution} that are the learner's, given the starter it completes. */
  static TreeSet<Integer> learnerLines(List<String> starter, List<String> solution) {
    boolean[] region = Conventions.todoRegions(starter);
    TreeSet<Integer> out = new TreeSet<>();
    int i = 0;
    int j = 0;
    for (int[] hunk : Conventions.changedStarterLines(starter, solution)) {
      for (; i < hunk[0]; i++, j++) if (region[i]) out.add(j + 1); // unchanged lines, kept in a region
      for (int k = hunk[2]; k < hunk[3]; k++) out.add(k + 1);         // lines the solution wrote
      i = hunk[1];
      j = hunk[3];
    }
    for (; i < starter.size(); i++, j++) if (region[i]) out.add(j + 1);
    return out;
  }

  // --- JBang, javac, PIT ----------------------------------------------------------------------

  private JsonNode jbangInfo(Path file, Path scratch) throws IOException {
    Labs.JbangInfo described = Labs.jbangInfo(labs.root, file, scratch, 600);
    if (described.json().isEmpty()) {
      List<String> ls = described.said().lines().filter(l -> !l.startsWith("[jbang]")).toList();
      ls.subList(Math.max(0, ls.size() - 40), ls.size()).forEach(l -> System.out.println("    | " + l));
      return null;
    }
    return described.json().get();
  }

  private static List<Path> paths(JsonNode array, String field) {
    List<Path> out = new ArrayList<>();
    array.forEach(n -> out.add(Path.of(field == null ? n.asText() : n.path(field).asText())));
    return out;
  }

  private static boolean compile(List<Path> sources, List<Path> classPath, Path classes, List<String> extra) {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    if (javac == null) throw new UserError("mutate needs a JDK (javac), not only a JRE.");
    List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-proc:none", "-g", "-encoding", "UTF-8", "-nowarn",
        "-classpath", String.join(java.io.File.pathSeparator, classPath.stream().map(Path::toString).toList())));
    extra.stream().filter(o -> !o.equals("-g") && !o.startsWith("-proc")).forEach(args::add);
    sources.forEach(s -> args.add(s.toString()));
    java.io.ByteArrayOutputStream errors = new java.io.ByteArrayOutputStream();
    int rc = javac.run(null, errors, errors, args.toArray(String[]::new));
    if (rc != 0) System.out.print(errors.toString(StandardCharsets.UTF_8));
    return rc == 0;
  }

  /** The classes compiled from the lab's own files (the default package), less the test class and its steps. */
  private static List<String> labClasses(Labs.Lab lab, Path classes, String testClass) throws IOException {
    try (Stream<Path> files = Files.list(classes)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".class"))
          .map(n -> n.substring(0, n.length() - ".class".length()))
          .filter(n -> !n.equals(testClass) && !n.startsWith(testClass + "$")).sorted().toList();
    }
  }

  /** Runs PIT until it ends or the limit passes; -1 when it was stopped. Its output goes to the log. */
  private int runPit(List<String> cmd, Map<String, String> env, Path log, long t0) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(labs.root.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(Labs.nullFile()));
    pb.environment().putAll(env);
    pit = pb.start();
    long deadline = t0 + TimeUnit.MINUTES.toNanos(minutes); // from the command's start: the limit is the whole run's
    try {
      while (!pit.waitFor(Math.max(1, Math.min(60_000, (deadline - System.nanoTime()) / 1_000_000)), TimeUnit.MILLISECONDS)) {
        if (System.nanoTime() >= deadline) {
          stopPit();
          return -1;
        }
        if (System.nanoTime() < deadline) {
          System.out.printf(Locale.ROOT, "  ... %d min%s%n", TimeUnit.NANOSECONDS.toMinutes(System.nanoTime() - t0), progress(log));
        }
      }
      return pit.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopPit();
      return -1;
    }
  }

  /** PIT's latest progress line ("> 12 of 40 ..."), if it printed one. */
  private static String progress(Path log) {
    try {
      List<String> ls = Files.readAllLines(log);
      for (int i = ls.size() - 1; i >= 0; i--) {
        String l = ls.get(i);
        if (l.startsWith(">>") || l.contains("mutations")) return ": " + l.replaceFirst("^>+\\s*", "").strip();
      }
    } catch (IOException | UncheckedIOException e) {
      // no log yet
    }
    return "";
  }

  /** PIT and every JVM it started (the coverage and mutation minions). */
  private void stopPit() {
    Process p = pit;
    if (p == null) return;
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    p.descendants().forEach(ProcessHandle::destroyForcibly);
  }

  private static void tail(Path log) {
    try {
      List<String> ls = Files.readAllLines(log).stream().filter(l -> !l.startsWith("[jbang]")).toList();
      ls.subList(Math.max(0, ls.size() - 40), ls.size()).forEach(l -> System.out.println("    | " + l));
    } catch (IOException | UncheckedIOException e) {
      // nothing to show
    }
  }

  /** The mutants of PIT's XML report that sit on a learner's line. */
  static List<Mutant> read(Path xml, Map<String, TreeSet<Integer>> learner) {
    List<Mutant> out = new ArrayList<>();
    try {
      var factory = DocumentBuilderFactory.newInstance();
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      NodeList nodes = factory.newDocumentBuilder().parse(xml.toFile()).getElementsByTagName("mutation");
      for (int k = 0; k < nodes.getLength(); k++) {
        Element e = (Element) nodes.item(k);
        String file = text(e, "sourceFile");
        int line = Integer.parseInt(text(e, "lineNumber"));
        if (!learner.getOrDefault(file, new TreeSet<>()).contains(line)) continue;
        if (e.getAttribute("status").equals("NON_VIABLE")) continue; // bytecode the JVM refused: no mutant to kill
        String index = text(e, "indexes").replaceAll("\\D.*", "");
        out.add(new Mutant(file, line, text(e, "mutator"), text(e, "mutatedMethod"), text(e, "description"), e.getAttribute("status"),
            index.isEmpty() ? 0 : Integer.parseInt(index), ""));
      }
    } catch (Exception e) {
      throw new IllegalStateException("PIT's report " + xml + " could not be read: " + e, e);
    }
    out.sort(Comparator.comparing(Mutant::file).thenComparingInt(Mutant::line).thenComparing(Mutant::description)
        .thenComparingInt(Mutant::index));
    // The same change twice on one line (two conditions, two calls): say which, in the order of the line's code.
    List<Mutant> named = new ArrayList<>();
    for (Mutant m : out) {
      List<Mutant> same = out.stream().filter(o -> o.file().equals(m.file()) && o.line() == m.line()
          && o.mutator().equals(m.mutator()) && o.description().equals(m.description())).toList();
      String nth = same.size() < 2 ? "" : ", " + ordinal(same.indexOf(m) + 1) + " of " + same.size() + " on the line";
      named.add(new Mutant(m.file(), m.line(), m.mutator(), m.method(), m.description(), m.status(), m.index(), nth));
    }
    return named;
  }

  private static String ordinal(int n) {
    return n + (n == 1 ? "st" : n == 2 ? "nd" : n == 3 ? "rd" : "th");
  }

  private static String text(Element e, String tag) {
    NodeList n = e.getElementsByTagName(tag);
    return n.getLength() == 0 ? "" : n.item(0).getTextContent().strip();
  }

  // --- the report -----------------------------------------------------------------------------

  /** The listed equivalent mutants of a lab; a line that does not parse is reported and ignored. */
  static List<Equivalent> equivalents(Labs.Lab lab, List<String> problems) {
    Path file = lab.solutionDir().resolve(EQUIVALENTS);
    List<Equivalent> out = new ArrayList<>();
    if (!Files.exists(file)) return out;
    List<String> ls = Labs.read(file).lines().toList();
    for (int i = 0; i < ls.size(); i++) {
      String l = ls.get(i).strip();
      if (l.isEmpty() || l.startsWith("#")) continue;
      Matcher m = EQUIVALENT.matcher(l);
      if (m.matches()) out.add(new Equivalent(m.group(1), Integer.parseInt(m.group(2)), m.group(3).strip(), m.group(4), l));
      else problems.add(EQUIVALENTS + ":" + (i + 1) + ": not \"File.java:line mutator-or-description: why it cannot be caught\"");
    }
    return out;
  }

  private static String sourceLine(Labs.Lab lab, Mutant m) {
    List<String> ls = Labs.read(lab.solutionDir().resolve(m.file())).lines().toList();
    return m.line() >= 1 && m.line() <= ls.size() ? ls.get(m.line() - 1).strip() : "";
  }

  int report(Labs.Lab lab, List<Mutant> mutants, double seconds) {
    List<String> problems = new ArrayList<>();
    List<Equivalent> listed = equivalents(lab, problems);
    List<Mutant> survivors = new ArrayList<>();
    List<String> equivalent = new ArrayList<>();
    List<Equivalent> used = new ArrayList<>();
    int killed = 0;
    for (Mutant m : mutants) {
      if (m.killed()) {
        killed++;
        continue;
      }
      Equivalent e = listed.stream().filter(x -> x.matches(m)).findFirst().orElse(null);
      if (e == null) {
        survivors.add(m);
      } else {
        equivalent.add(m.show() + "\n      why: " + e.why());
        if (!used.contains(e)) used.add(e);
      }
    }
    List<Equivalent> stale = listed.stream().filter(e -> !used.contains(e)).toList();
    String rel = "solutions/" + lab.slug() + "/" + EQUIVALENTS;
    if (!survivors.isEmpty()) {
      System.out.println("Surviving mutants (the code was changed like this and every test still passed):");
      for (int k = 0; k < survivors.size(); k++) {
        Mutant m = survivors.get(k);
        System.out.println("  " + m.show());
        boolean lastOfLine = k + 1 == survivors.size() || !survivors.get(k + 1).where().equals(m.where());
        if (lastOfLine) System.out.println("      | " + sourceLine(lab, m));
      }
    }
    if (!equivalent.isEmpty()) {
      System.out.println("Equivalent mutants (listed in " + rel + "; left out of the score):");
      equivalent.forEach(s -> System.out.println("  " + s));
    }
    if (!stale.isEmpty()) {
      System.out.println("Stale lines of " + rel + " (no such mutant survives any more: remove them):");
      stale.forEach(e -> System.out.println("  " + e.text()));
    }
    if (!problems.isEmpty()) {
      System.out.println("Lines of " + rel + " that say nothing mutate can use (each is ignored):");
      problems.forEach(p -> System.out.println("  " + p));
    }
    int counted = mutants.size() - equivalent.size();
    long timedOut = mutants.stream().filter(m -> m.status().equals("TIMED_OUT")).count();
    String time = String.format(Locale.ROOT, "%d min %02d s", (long) seconds / 60, (long) seconds % 60);
    if (counted == 0) {
      System.out.println("No mutant in lab " + lab.number() + "'s TODO regions (" + equivalent.size() + " equivalent). Took " + time + ".");
      return 0;
    }
    double score = 100.0 * killed / counted;
    System.out.printf(Locale.ROOT, "Lab %s: %d of %d mutants killed in the TODO regions (%.1f %%; goal %.0f %%)%s%s. Took %s.%n",
        lab.number(), killed, counted, score, GOAL,
        timedOut > 0 ? ", " + timedOut + " of them by a timeout" : "",
        equivalent.isEmpty() ? "" : "; " + equivalent.size() + " equivalent mutant(s) listed in " + rel + " not counted",
        time);
    return score >= GOAL ? 0 : 1;
  }
}
