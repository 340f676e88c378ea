package workbook.tool.base;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/** The tool's one place for files: a temporary folder, a folder copied, a folder deleted. */
public final class Fs {
  private Fs() {}

  /** A new folder under the system's temporary one, named workbook-PREFIX-...: the caller deletes it. */
  public static Path tempDir(String prefix) throws IOException {
    return Files.createTempDirectory("workbook-" + prefix + "-");
  }

  /** Copies the folder {@code from} with everything in it into {@code to}, replacing what is there, keeping times and modes. */
  public static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path dst = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) Files.createDirectories(dst);
        else Files.copy(f, dst, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
  }

  /** Deletes the folder (or file) and everything in it, as far as it can; nothing when it is not there. */
  public static void delete(Path dir) {
    if (dir == null) return;
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // already gone
    }
  }
}
