package workbook.tool.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TaskEvent;
import com.sun.source.util.TaskListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.util.Elements;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import workbook.tool.base.Fs;
import workbook.tool.content.Labs;

/**
 * A lab's tests run warm, in this JVM: for watch (every save), for the daemon (the warm runner
 * that test sends its runs to) and for verify's catalogue of mistakes (one per mistake). It asks
 * JBang once what the tests need (sources, resolved jars, JVM options), then on every run
 * compiles the lab's own files with the compiler already loaded in this JVM and runs the tests
 * in a fresh class loader. No JVM start, no JBang, per run.
 * The libraries and the shared sources (which a learner never edits) are compiled and loaded
 * once, in a parent loader that every run reuses: a run pays only for the lab's own classes.
 */
public final class WarmRunner implements AutoCloseable {
  private final List<Path> sources = new ArrayList<>();
  /** The //FILES of the sources: where each goes in the class path, and the file it comes from. */
  private final Map<String, Path> resources = new LinkedHashMap<>();
  private final List<Path> jars = new ArrayList<>();
  private final String testClass;
  private final JavaCompiler javac;
  private final StandardJavaFileManager files;
  private final Path workDir;
  private final Path labDir;
  private final Thread cleanup;
  private URLClassLoader libraries;
  /**
   * A good compile of the lab's files: its classes, each file's content as compiled there, and
   * what each file declared at the last compile of every file (the other files were compiled
   * against exactly that).
   */
  private record Base(Path classes, Map<Path, String> content, Map<Path, Declared> api) {}

  /**
   * What a file declares to the others: its shape (see describe; constants there only as constants) and the value of
   * each of its constants, by "Type#NAME". Kept apart because the compiler copies a constant's value into every file
   * that names it, and only those: a new value means compiling those files again, not every file.
   */
  record Declared(String shape, Map<String, String> constants) {}
  /** The last good compile, which the next run starts from. */
  private Base last;
  /** Set by pin(): the compile every later run starts from, wherever the runs went meanwhile. */
  private Base pinned;
  /** The classes of the last run, deleted when a later run no longer needs them. */
  private Path lastRun;
  private boolean sharedCompiled;
  private int runs;
  /** What to say when the lab does not compile (watch: save again; test: run again). */
  public String compileVerdict = "It does not compile yet: fix the line above and save again.";
  /** The last run was refused before any test ran (a step number the lab does not have). */
  boolean usageError;

  private WarmRunner(Path test, JavaCompiler javac) {
    this.testClass = test.getFileName().toString().replaceFirst("\\.java$", "");
    this.labDir = test.toAbsolutePath().getParent();
    this.javac = javac;
    this.files = javac.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
    try {
      this.workDir = Fs.tempDir("watch");
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create a folder for compiled classes", e);
    }
    // Ctrl-C ends watch in the middle of anything: the hook still removes the compiled classes.
    // (It holds the folder, not this runner: a runner the daemon lets go must not stay in memory.)
    Path dir = workDir;
    cleanup = new Thread(() -> Fs.delete(dir), "watch-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
  }

  /** Empty when this JVM has no compiler or JBang cannot describe the lab: watch then runs cold. */
  public static Optional<WarmRunner> prepare(Path root, Path test) {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    if (javac == null) return Optional.empty();
    try {
      Labs.JbangInfo described = Labs.jbangInfo(root, test, null, 300);
      if (described.json().isEmpty()) return Optional.empty();
      JsonNode info = described.json().get();
      WarmRunner runner = new WarmRunner(test, javac);
      info.path("sources").forEach(s -> runner.sources.add(Path.of(s.path("backingResource").asText())));
      info.path("files").forEach(f -> runner.resources.put(f.path("target").asText(), Path.of(f.path("backingResource").asText())));
      info.path("resolvedDependencies").forEach(j -> runner.jars.add(Path.of(j.asText())));
      // The lab's JAVA_OPTIONS: system properties apply here; JVM flags only matter at start-up.
      info.path("runtimeOptions").forEach(o -> setProperty(o.asText()));
      if (runner.sources.isEmpty() || !jarsBuilt(root, test, runner.jars)) {
        runner.close();
        return Optional.empty();
      }
      return Optional.of(runner);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Whether every jar the lab needs is there. `jbang info` names the jar of a //DEPS on a source
   * file (lab 04's LocalGrpc.java) without building it: only a cold run or a build does. A lab
   * whose first run is warm (after another lab's run started the warm runner) got a class path
   * with a missing jar, and "package workbook.grpc does not exist" even for the solution. So JBang
   * builds the lab once (its own files need not compile: the dependencies are built first).
   */
  private static boolean jarsBuilt(Path root, Path test, List<Path> jars) throws IOException {
    if (jars.stream().allMatch(Files::exists)) return true;
    Path log = Files.createTempFile("workbook-build-", ".log");
    try {
      Labs.run(root, root, List.of("build", test.toString()), java.util.Map.of(), log, 300);
    } finally {
      Files.deleteIfExists(log);
    }
    return jars.stream().allMatch(Files::exists);
  }

  private static void setProperty(String option) {
    if (!option.startsWith("-D")) return;
    String[] kv = option.substring(2).split("=", 2);
    System.setProperty(kv[0], kv.length > 1 ? kv[1] : "");
  }

  /** Compiles and runs the tests (all, or only the steps given, e.g. "2"); true when they are all green. */
  public boolean run(Path results, String... steps) throws IOException {
    if (!sharedReady()) return false;
    long t0 = System.nanoTime();
    Path classes = compileLab();
    long t1 = System.nanoTime();
    boolean green = classes != null && runTests(classes, results, steps);
    if (Boolean.getBoolean(TIMING)) {
      System.out.printf(Locale.ROOT, "=== timing: compiled %d of %d files in %.2f s, tests took %.2f s%n",
          lastCompiled, labSources().size(), (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
    }
    return green;
  }

  /** Set by verify: each run prints what its compile and its tests cost (a maintainer's aid in the kept logs). */
  public static final String TIMING = "workbook.timing";
  /** How many of the lab's files the last run compiled (0 when nothing had changed). */
  private int lastCompiled;

  /**
   * Compiles the lab's files into a new folder and returns it (null if they do not compile).
   * Only the files changed since the base (the last good compile, or the pinned one) are
   * compiled, against the base's classes, when what they declare to other files (types,
   * non-private members, signatures) is unchanged: the other classes, the test's among them, were
   * compiled against exactly that. A constant whose value changed (lab 03's contract, a text
   * block) was copied by the compiler into the files that name it, so those are compiled again too,
   * and the files naming theirs in turn; a file that does not name it cannot hold its value. When
   * anything else declared changed, every file is compiled again, so an edit that breaks another
   * file is reported there.
   */
  private Path compileLab() throws IOException {
    Path classes = Files.createDirectories(workDir.resolve("run-" + (++runs)));
    List<Path> all = labSources().stream().map(p -> p.toAbsolutePath().normalize()).toList();
    Map<Path, String> content = new HashMap<>();
    for (Path p : all) content.put(p, digest(p));
    Base from = pinned != null ? pinned : last;
    if (from != null && content.keySet().equals(from.content().keySet())) {
      List<Path> changed = all.stream().filter(p -> !content.get(p).equals(from.content().get(p))).toList();
      if (changed.isEmpty()) { // nothing was saved since: the base's classes run again, in a new loader
        lastCompiled = 0;
        Fs.delete(classes);
        return ran(from.classes());
      }
      if (changed.size() < all.size()) {
        Fs.copyTree(from.classes(), classes);
        java.util.Set<Path> compiling = new java.util.LinkedHashSet<>(changed);
        while (true) {
          Map<Path, Declared> api = new HashMap<>();
          lastCompiled = compiling.size();
          if (!compile(List.copyOf(compiling), classes, classes, api)) return failed(classes);
          if (!compiling.stream().allMatch(p -> sameShape(api.get(p), from.api().get(p)))) break;
          java.util.Set<String> renewed = new java.util.HashSet<>();
          for (Path p : compiling) renewed.addAll(renewedConstants(from.api().get(p).constants(), api.get(p).constants()));
          List<Path> naming = new ArrayList<>();
          for (Path p : all) if (!compiling.contains(p) && namesAny(p, renewed)) naming.add(p);
          if (naming.isEmpty()) {
            Map<Path, Declared> now = new HashMap<>(from.api());
            now.putAll(api);
            if (pinned == null) last = new Base(classes, content, now);
            return ran(classes);
          }
          if (compiling.size() + naming.size() == all.size()) break;
          compiling.addAll(naming);
        }
        Fs.delete(classes);
        Files.createDirectories(classes);
      }
    }
    Map<Path, Declared> api = new HashMap<>();
    lastCompiled = all.size();
    if (!compile(all, classes, null, api)) return failed(classes);
    if (pinned == null) last = new Base(classes, content, api);
    return ran(classes);
  }

  /**
   * From now on every run starts from the last good compile (verify: the solution's), not from
   * the run before it: a catalogue's mistake, undone, then costs no compile of every file.
   */
  public void pin() {
    pinned = last;
  }

  /** Classes a run uses; the last run's go unless a base still holds them. */
  private Path ran(Path classes) {
    if (lastRun != null && !lastRun.equals(classes) && !held(lastRun)) Fs.delete(lastRun);
    lastRun = classes;
    return classes;
  }

  private boolean held(Path classes) {
    return last != null && classes.equals(last.classes()) || pinned != null && classes.equals(pinned.classes());
  }

  private Path failed(Path classes) {
    if (!held(classes)) Fs.delete(classes);
    return null;
  }

  private static boolean sameShape(Declared now, Declared before) {
    return now != null && before != null && now.shape().equals(before.shape());
  }

  /** The simple names of the constants whose values differ (the shapes being the same, the same constants are there). */
  static java.util.Set<String> renewedConstants(Map<String, String> before, Map<String, String> now) {
    java.util.Set<String> names = new java.util.HashSet<>();
    for (Map.Entry<String, String> c : now.entrySet()) {
      if (!c.getValue().equals(before.get(c.getKey()))) names.add(c.getKey().substring(c.getKey().indexOf('#') + 1));
    }
    return names;
  }

  /**
   * Whether a source file's code names any of these, as a whole identifier: a constant is copied only where it is named
   * (its comments and string literals can mention the name, and hold no constant).
   */
  static boolean namesAny(Path file, java.util.Set<String> names) throws IOException {
    if (names.isEmpty()) return false;
    String text = codeOnly(Files.readString(file));
    for (String name : names) {
      if (java.util.regex.Pattern.compile("(?<![\\p{javaJavaIdentifierPart}])" + java.util.regex.Pattern.quote(name)
          + "(?![\\p{javaJavaIdentifierPart}])").matcher(text).find()) return true;
    }
    return false;
  }

  /** Java source with its comments, string and character literals and text blocks blanked out. */
  static String codeOnly(String source) {
    StringBuilder code = new StringBuilder(source.length());
    int i = 0, n = source.length();
    while (i < n) {
      char c = source.charAt(i);
      if (source.startsWith("//", i)) {
        while (i < n && source.charAt(i) != '\n') i++;
      } else if (source.startsWith("/*", i)) {
        int end = source.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (source.startsWith("\"\"\"", i)) {
        int j = i + 3;
        while (j < n && !source.startsWith("\"\"\"", j)) j += source.charAt(j) == '\\' ? 2 : 1;
        i = Math.min(n, j + 3);
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < n && source.charAt(j) != c && source.charAt(j) != '\n') j += source.charAt(j) == '\\' ? 2 : 1;
        i = Math.min(n, j + 1);
      } else {
        code.append(c);
        i++;
        continue;
      }
      code.append(' ');
    }
    return code.toString();
  }

  private static String digest(Path file) throws IOException {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * What a file declares, as other files see it: each type's kind, modifiers, name, type
   * parameters, supertypes and permitted subtypes, and each member's modifiers, name, type,
   * exceptions, and whether it is a constant; each constant's value goes into {@code constants}
   * (the compiler copies constants into the files that name them).
   * Private members are left out: no other file can name them (a private field or member type
   * that hides an inherited one of its name stays in, since it changes what that name means
   * elsewhere). So a helper field, method or class added in one file compiles that file alone.
   */
  static void describe(Element e, StringBuilder out, Elements elements, Map<String, String> constants) {
    out.append(e.getKind()).append(' ').append(e.getModifiers()).append(' ').append(e.getSimpleName())
        .append(' ').append(e.asType()).append(' ').append(e.getAnnotationMirrors());
    if (e instanceof ExecutableElement m) {
      m.getTypeParameters().forEach(t -> out.append(" <").append(t).append(" extends ").append(t.getBounds()).append('>'));
      out.append(" throws ").append(m.getThrownTypes()).append(" varargs ").append(m.isVarArgs())
          .append(" default ").append(m.getDefaultValue());
    } else if (e instanceof VariableElement v) {
      Object value = v.getConstantValue();
      out.append(value == null ? "" : " constant");
      if (value != null) constants.put(e.getEnclosingElement() + "#" + e.getSimpleName(), value.getClass().getName() + " " + value);
    } else if (e instanceof TypeElement t) {
      t.getTypeParameters().forEach(p -> out.append(" <").append(p).append(" extends ").append(p.getBounds()).append('>'));
      out.append(" extends ").append(t.getSuperclass()).append(" implements ").append(t.getInterfaces())
          .append(" permits ").append(t.getPermittedSubclasses()).append(" {");
      for (Element member : t.getEnclosedElements()) {
        if (unseenElsewhere(member, t, elements)) continue;
        out.append('\n');
        describe(member, out, elements, constants);
      }
      out.append("\n}");
    }
  }

  /** A private member that hides nothing of a supertype's: other files cannot see it. */
  static boolean unseenElsewhere(Element member, TypeElement owner, Elements elements) {
    if (!member.getModifiers().contains(Modifier.PRIVATE)) return false;
    if (!member.getKind().isField() && !member.getKind().isClass() && !member.getKind().isInterface()) return true;
    List<javax.lang.model.type.TypeMirror> supertypes = new ArrayList<>(owner.getInterfaces());
    supertypes.add(owner.getSuperclass());
    for (javax.lang.model.type.TypeMirror supertype : supertypes) {
      if (!(supertype instanceof javax.lang.model.type.DeclaredType declared)) continue;
      for (Element other : elements.getAllMembers((TypeElement) declared.asElement())) {
        if (other.getSimpleName().contentEquals(member.getSimpleName()) && other.getKind().isField() == member.getKind().isField()) {
          return false; // it hides one: code elsewhere that named that one now fails, or means this one
        }
      }
    }
    return true;
  }

  private List<Path> labSources() {
    return sources.stream().filter(p -> p.toAbsolutePath().startsWith(labDir)).toList();
  }

  /** The shared sources, compiled once into the libraries' loader that every run reuses. */
  private boolean sharedReady() throws IOException {
    if (sharedCompiled) return true;
    Path shared = Files.createDirectories(workDir.resolve("shared"));
    List<Path> others = sources.stream().filter(p -> !p.toAbsolutePath().startsWith(labDir)).toList();
    if (!others.isEmpty() && !compile(others, shared)) return false;
    // What the sources' //FILES lines put in a cold run's jar (the JUnit extensions' services file,
    // the story page's style and script), put in the same places of the shared class path here.
    for (Map.Entry<String, Path> file : resources.entrySet()) {
      Path to = shared.resolve(file.getKey()).normalize();
      if (!to.startsWith(shared)) continue; // a target outside the class path: JBang would not put it there either
      Files.createDirectories(to.getParent());
      Files.copy(file.getValue(), to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    List<URL> urls = new ArrayList<>(List.of(shared.toUri().toURL()));
    for (Path jar : jars) urls.add(url(jar));
    libraries = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    jars.add(0, shared); // the lab's files compile against the shared classes from now on
    sharedCompiled = true;
    return true;
  }

  private boolean compile(List<Path> toCompile, Path classes) {
    return compile(toCompile, classes, null, null);
  }

  /**
   * Compiles into {@code classes}, with {@code earlier} (classes of the lab's other files) on the
   * class path if given; {@code api}, if given, receives what each file declares (see describe).
   */
  private boolean compile(List<Path> toCompile, Path classes, Path earlier, Map<Path, Declared> api) {
    DiagnosticCollector<JavaFileObject> problems = new DiagnosticCollector<>();
    List<String> classPath = new ArrayList<>();
    if (earlier != null) classPath.add(earlier.toString());
    jars.forEach(j -> classPath.add(j.toString()));
    List<String> options = List.of("-d", classes.toString(), "-proc:none", "-g", "-encoding", "UTF-8",
        "-classpath", String.join(java.io.File.pathSeparator, classPath));
    JavacTask task = (JavacTask) javac.getTask(null, files, problems, options, null, files.getJavaFileObjectsFromPaths(toCompile));
    if (api != null) {
      task.addTaskListener(new TaskListener() {
        @Override
        public void finished(TaskEvent e) {
          if (e.getKind() != TaskEvent.Kind.ANALYZE || e.getTypeElement() == null || e.getSourceFile() == null) return;
          StringBuilder declared = new StringBuilder();
          Map<String, String> constants = new HashMap<>();
          describe(e.getTypeElement(), declared, task.getElements(), constants);
          api.merge(Path.of(e.getSourceFile().toUri()).normalize(), new Declared(declared.toString(), constants), (a, b) -> {
            Map<String, String> both = new HashMap<>(a.constants());
            both.putAll(b.constants());
            return new Declared(a.shape() + "\n" + b.shape(), both);
          });
        }
      });
    }
    boolean ok = task.call();
    List<Diagnostic<? extends JavaFileObject>> errors = problems.getDiagnostics().stream()
        .filter(d -> d.getKind() == Diagnostic.Kind.ERROR).toList();
    errors.stream().limit(Labs.MAX_ERRORS).forEach(d -> System.out.print(asJavac(d, labDir.getParent().getParent())));
    int shown = Math.min(errors.size(), Labs.MAX_ERRORS);
    if (shown > 0) System.out.println(shown == 1 ? "1 error" : shown + " errors");
    if (errors.size() > Labs.MAX_ERRORS) {
      System.out.println("(only the first " + Labs.MAX_ERRORS + " of " + errors.size() + " errors are shown: fix these, then run it again)");
    }
    if (!ok && !compileVerdict.isEmpty()) System.out.println(compileVerdict);
    return ok;
  }


  /**
   * One error as javac prints it: the file and line, the message's first line, the source line
   * with a caret under the column, then the rest of the message (symbol: ..., location: ...).
   */
  static String asJavac(Diagnostic<? extends JavaFileObject> d, Path root) {
    String[] message = d.getMessage(Locale.ROOT).split("\\R", -1);
    StringBuilder out = new StringBuilder();
    String sourceLine = null;
    if (d.getSource() != null) {
      Path file = Path.of(d.getSource().toUri()).toAbsolutePath().normalize();
      out.append(file.startsWith(root) ? root.relativize(file) : file).append(':').append(d.getLineNumber()).append(": ");
      try {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        long n = d.getLineNumber();
        if (n >= 1 && n <= lines.size()) sourceLine = lines.get((int) n - 1);
      } catch (IOException | RuntimeException e) {
        // no source line to show: the message still names the line
      }
    }
    out.append("error: ").append(message[0]).append('\n');
    if (sourceLine != null) {
      out.append(sourceLine).append('\n');
      long column = d.getColumnNumber();
      if (column >= 1) {
        StringBuilder caret = new StringBuilder();
        for (int i = 0; i < column - 1 && i < sourceLine.length(); i++) caret.append(sourceLine.charAt(i) == '\t' ? '\t' : ' ');
        out.append(caret).append("^\n");
      }
    }
    for (int i = 1; i < message.length; i++) out.append(message[i]).append('\n');
    return out.toString();
  }

  private boolean runTests(Path classes, Path results, String[] steps) throws IOException {
    URL[] urls = {classes.toUri().toURL()};
    usageError = false;
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    // A fresh loader per run: the learner's new classes, and no static state left from the last run.
    try (URLClassLoader loader = new URLClassLoader(urls, libraries)) {
      Thread.currentThread().setContextClassLoader(loader);
      System.setProperty("workbook.results", results.toString());
      Class<?> launcher = loader.loadClass("workbook.test.LabTests");
      Object counts = launcher.getMethod("execute", Class.class, String[].class)
          .invoke(null, loader.loadClass(testClass), (Object) steps);
      int[] c = (int[]) counts;
      return c[0] > 0 && c[1] == 0;
    } catch (ReflectiveOperationException e) {
      Throwable cause = e instanceof InvocationTargetException ? e.getCause() : e;
      if (cause instanceof IllegalArgumentException) {
        usageError = true;
        System.out.println(cause.getMessage());
      } else {
        System.out.println("The tests could not run: " + cause);
      }
      return false;
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
  }

  /** Lets go of the lab's libraries and compiled classes (the daemon keeps a runner only for the labs in use). */
  @Override
  public void close() {
    try {
      files.close();
      if (libraries != null) libraries.close();
    } catch (IOException ignored) {
      // its jars are closed as far as they can be; the classes go when nothing uses them
    }
    Fs.delete(workDir);
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }

  private static URL url(Path jar) {
    try {
      return jar.toUri().toURL();
    } catch (MalformedURLException e) {
      throw new UncheckedIOException(e);
    }
  }
}
