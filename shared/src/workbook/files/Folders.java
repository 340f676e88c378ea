package workbook.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The one place the labs' shared code deletes a folder it made: the embedded broker's data, a
 * browser's profile, a test's working folder for a child JVM. (The workbook tool, compiled apart,
 * has its own: workbook.tool.base.Fs.)
 */
public final class Folders {
  private Folders() {}

  /** Deletes the folder and everything in it, as far as it can; nothing when it is not there. */
  public static void delete(Path dir) {
    if (dir == null) return;
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException alreadyGone) {
      // as much as could be deleted
    }
  }
}
