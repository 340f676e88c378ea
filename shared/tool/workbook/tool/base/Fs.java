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

  /**
   * The file in each of the workbook's temporary folders that names the process that made it (its
   * pid), so that a folder whose process was killed (kill -9, a watchdog's halt: no shutdown hook
   * runs) can be told from one still in use. The lab side writes it too (the embedded broker's
   * folder, the browser's).
   */
  public static final String OWNER = ".workbook-owner";

  /**
   * A new folder under the system's temporary one, named workbook-PREFIX-...: the caller deletes
   * it. First, the workbook folders there whose process is gone are removed: what a killed
   * command left, the next one cleans.
   */
  public static Path tempDir(String prefix) throws IOException {
    sweepOrphans(Path.of(System.getProperty("java.io.tmpdir")));
    Path dir = Files.createTempDirectory("workbook-" + prefix + "-");
    Files.writeString(dir.resolve(OWNER), String.valueOf(ProcessHandle.current().pid()));
    return dir;
  }

  /** Deletes the folders workbook-* in {@code tmp} whose owner file names a process that no longer runs; returns how many. */
  public static int sweepOrphans(Path tmp) {
    int removed = 0;
    try (Stream<Path> dirs = Files.list(tmp)) {
      for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith("workbook-") && Files.isDirectory(d)).toList()) {
        Path owner = dir.resolve(OWNER);
        try {
          String pid = Files.readString(owner).strip();
          if (pid.matches("\\d{1,10}") && ProcessHandle.of(Long.parseLong(pid)).isEmpty()) {
            delete(dir);
            removed++;
          }
        } catch (IOException | RuntimeException e) {
          // no owner file (a folder of another kind, or being made): left alone
        }
      }
    } catch (IOException e) {
      // the temporary folder cannot be listed: nothing to sweep
    }
    return removed;
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
