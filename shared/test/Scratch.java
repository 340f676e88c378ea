import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Scratch copies of the workbook for the tool's own tests (not a test itself: verify runs only
 * the *Test.java files here). Each test that runs the tool on a lab of its own copies what it
 * needs into a temporary folder and removes it after.
 */
final class Scratch {
  private Scratch() {}

  /** The workbook's root: the folder with jbang-catalog.json, from the working directory up. */
  static Path root() {
    Path root = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (!Files.exists(root.resolve("jbang-catalog.json"))) root = root.getParent();
    return root;
  }

  /**
   * A new temporary folder workbook-PREFIX-..., with the file that names this JVM as its owner
   * (the tool's Fs.OWNER): a self-test killed before its clean-up (verify stopped with Ctrl-C, a
   * bound that halts it) leaves it behind, and the next tool command that makes a folder of its
   * own removes it, as it removes what a killed command left.
   */
  static Path tempDir(String prefix) throws IOException {
    Path dir = Files.createTempDirectory("workbook-" + prefix + "-");
    Files.writeString(dir.resolve(OWNER), String.valueOf(ProcessHandle.current().pid()));
    return dir;
  }

  /** The owner file's name, as the tool's Fs.OWNER: it names the process that made the folder. */
  static final String OWNER = ".workbook-owner";

  /** This JVM's folder for the output of the commands it runs (see tempDir). */
  private static Path outputs;

  private static synchronized Path outputs() throws IOException {
    if (outputs == null || !Files.isDirectory(outputs)) {
      outputs = tempDir("self-test");
      Path made = outputs;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          delete(made);
        } catch (IOException e) {
          // the next tool command sweeps it (its owner is gone)
        }
      }, "self-test-outputs"));
    }
    return outputs;
  }

  /** A new temporary folder (see tempDir) holding every file git tracks in {@code root}, as it is now. */
  static Path tracked(Path root, String prefix) throws IOException, InterruptedException {
    Path copy = tempDir(prefix.replaceFirst("^workbook-", "").replaceFirst("-$", ""));
    Process ls = new ProcessBuilder("git", "ls-files", "-z").directory(root.toFile()).redirectErrorStream(true).start();
    String files = new String(ls.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!ls.waitFor(60, TimeUnit.SECONDS) || ls.exitValue() != 0) throw new IOException("git ls-files failed in " + root + ": " + files);
    for (String f : files.split("\0")) {
      if (f.isEmpty() || !Files.isRegularFile(root.resolve(f))) continue;
      Path to = copy.resolve(f);
      Files.createDirectories(to.getParent());
      Files.copy(root.resolve(f), to);
    }
    return copy;
  }

  /**
   * Copies the folder {@code from} with everything in it to {@code to}, but its owner files
   * (see tempDir): a copy made into a folder of its own keeps that folder's owner.
   */
  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        if (f.getFileName().toString().equals(OWNER) && Files.isRegularFile(f)) continue;
        Path dst = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) Files.createDirectories(dst);
        else Files.copy(f, dst);
      }
    }
  }

  /** Removes {@code dir} and everything in it, if it is there. */
  static void delete(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir)) return;
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  /**
   * What a command did: its exit status (-1 when it was stopped at its bound, said on the first
   * line of out), what it wrote (standard error in out too, unless asked apart), and its seconds.
   */
  record Ran(int exit, String out, String err, double seconds) {}

  /**
   * Runs cmd in dir as a person would type it, with no input and no warm runner
   * (WORKBOOK_DAEMON=off unless env sets it), its output and error together; after the given
   * seconds it is stopped with every process it started.
   */
  static Ran run(Path dir, Map<String, String> env, long seconds, List<String> cmd) {
    return run(dir, env, seconds, cmd, false);
  }

  /** As {@link #run}, with standard error kept apart from standard output. */
  static Ran runApart(Path dir, Map<String, String> env, long seconds, List<String> cmd) {
    return run(dir, env, seconds, cmd, true);
  }

  private static Ran run(Path dir, Map<String, String> env, long seconds, List<String> cmd, boolean apart) {
    Path out = null, err = null;
    try {
      out = Files.createTempFile(outputs(), "run-", ".out");
      err = apart ? Files.createTempFile(outputs(), "run-", ".err") : null;
      long t0 = System.nanoTime();
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      if (apart) pb.redirectError(err.toFile()); else pb.redirectErrorStream(true);
      pb.environment().put("WORKBOOK_DAEMON", "off");
      pb.environment().putAll(env);
      Process p = pb.start();
      boolean ended = p.waitFor(seconds, TimeUnit.SECONDS);
      if (!ended) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      String said = Files.readString(out, StandardCharsets.UTF_8);
      return new Ran(ended ? p.exitValue() : -1, ended ? said : "(stopped after " + seconds + " s)\n" + said,
          apart ? Files.readString(err, StandardCharsets.UTF_8) : "", (System.nanoTime() - t0) / 1e9);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while " + cmd + " ran", e);
    } finally {
      try {
        if (out != null) Files.deleteIfExists(out);
        if (err != null) Files.deleteIfExists(err);
      } catch (IOException e) {
        // a temp file left: the OS's temp cleaning takes it
      }
    }
  }
}
