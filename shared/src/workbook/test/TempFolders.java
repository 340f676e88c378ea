package workbook.test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Temporary folders a test makes (a working folder for a child JVM): deleted when the test is done with them. */
public final class TempFolders {
  private TempFolders() {}

  /** Deletes the folder and everything in it, as far as it can; nothing when it is not there. */
  public static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException alreadyGone) {
      // nothing left to delete
    }
  }
}
