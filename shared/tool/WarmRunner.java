import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * The warm half of watch: asks JBang once what a lab's tests need (sources, resolved jars,
 * JVM options), then on every save compiles the lab's own files with the compiler already loaded
 * in this JVM and runs the tests in a fresh class loader. No JVM start, no JBang, per run.
 * The libraries and the shared sources (which a learner never edits) are compiled and loaded
 * once, in a parent loader that every run reuses: a run pays only for the lab's own classes.
 */
final class WarmRunner {
  private final List<Path> sources = new ArrayList<>();
  private final List<Path> jars = new ArrayList<>();
  private final String testClass;
  private final JavaCompiler javac;
  private final StandardJavaFileManager files;
  private final Path workDir;
  private final Path labDir;
  private URLClassLoader libraries;
  private boolean sharedCompiled;
  private int runs;
  /** What to say when the lab does not compile (watch: save again; test: run again). */
  String compileVerdict = "It does not compile yet: fix the line above and save again.";
  /** The last run was refused before any test ran (a step number the lab does not have). */
  boolean usageError;

  private WarmRunner(Path test, JavaCompiler javac) {
    this.testClass = test.getFileName().toString().replaceFirst("\\.java$", "");
    this.labDir = test.toAbsolutePath().getParent();
    this.javac = javac;
    this.files = javac.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
    try {
      this.workDir = Files.createTempDirectory("workbook-watch-");
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create a folder for compiled classes", e);
    }
    // Ctrl-C ends watch in the middle of anything: the hook still removes the compiled classes.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> Verify.delete(workDir), "watch-cleanup"));
  }

  /** Empty when this JVM has no compiler or JBang cannot describe the lab: watch then runs cold. */
  static Optional<WarmRunner> prepare(Path root, Path test) {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    if (javac == null) return Optional.empty();
    try {
      Path out = Files.createTempFile("workbook-info-", ".json");
      try {
        Labs.Run r = Labs.run(root, root, List.of("info", "tools", test.toString()), java.util.Map.of(), out, 300);
        if (!r.ok()) return Optional.empty();
        String json = Files.readString(out);
        JsonNode info = new ObjectMapper().readTree(json.substring(json.indexOf('{')));
        WarmRunner runner = new WarmRunner(test, javac);
        info.path("sources").forEach(s -> runner.sources.add(Path.of(s.path("backingResource").asText())));
        info.path("resolvedDependencies").forEach(j -> runner.jars.add(Path.of(j.asText())));
        // The lab's JAVA_OPTIONS: system properties apply here; JVM flags only matter at start-up.
        info.path("runtimeOptions").forEach(o -> setProperty(o.asText()));
        return runner.sources.isEmpty() ? Optional.empty() : Optional.of(runner);
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static void setProperty(String option) {
    if (!option.startsWith("-D")) return;
    String[] kv = option.substring(2).split("=", 2);
    System.setProperty(kv[0], kv.length > 1 ? kv[1] : "");
  }

  /** Compiles and runs the tests (all, or only the steps given, e.g. "2"); true when they are all green. */
  boolean run(Path results, String... steps) throws IOException {
    Path classes = Files.createDirectories(workDir.resolve("run-" + (++runs)));
    try {
      if (!sharedReady()) return false;
      if (!compile(labSources(), classes)) return false;
      return runTests(classes, results, steps);
    } finally {
      Verify.delete(classes);
    }
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
    // Found by JUnit only when a run turns extension auto-detection on (verify's mistakes).
    Path services = Files.createDirectories(shared.resolve("META-INF/services"));
    Files.writeString(services.resolve("org.junit.jupiter.api.extension.Extension"), "workbook.test.StopWhenCaught\n");
    List<URL> urls = new ArrayList<>(List.of(shared.toUri().toURL()));
    for (Path jar : jars) urls.add(url(jar));
    libraries = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    jars.add(0, shared); // the lab's files compile against the shared classes from now on
    sharedCompiled = true;
    return true;
  }

  private boolean compile(List<Path> toCompile, Path classes) {
    DiagnosticCollector<JavaFileObject> problems = new DiagnosticCollector<>();
    List<String> options = List.of("-d", classes.toString(), "-proc:none", "-g", "-encoding", "UTF-8",
        "-classpath", String.join(java.io.File.pathSeparator, jars.stream().map(Path::toString).toList()));
    boolean ok = javac.getTask(null, files, problems, options, null, files.getJavaFileObjectsFromPaths(toCompile)).call();
    for (Diagnostic<? extends JavaFileObject> d : problems.getDiagnostics()) {
      if (d.getKind() != Diagnostic.Kind.ERROR) continue;
      String where = d.getSource() == null ? "" : Path.of(d.getSource().toUri()).getFileName() + ":" + d.getLineNumber() + ": ";
      System.out.println(where + d.getMessage(Locale.ROOT));
    }
    if (!ok && !compileVerdict.isEmpty()) System.out.println(compileVerdict);
    return ok;
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

  private static URL url(Path jar) {
    try {
      return jar.toUri().toURL();
    } catch (MalformedURLException e) {
      throw new UncheckedIOException(e);
    }
  }
}
