import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
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

  /** A new temporary folder holding every file git tracks in {@code root}, as it is now. */
  static Path tracked(Path root, String prefix) throws IOException, InterruptedException {
    Path copy = Files.createTempDirectory(prefix);
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

  /** Copies the folder {@code from} with everything in it to {@code to}. */
  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
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
}
