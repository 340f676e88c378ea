package workbook.tool.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How long each of verify's checks took, so that the next run starts the longest first. The
 * last run on this machine is kept in .workbook/verify-seconds.tsv; a clean clone (CI) uses
 * shared/tool/verify-seconds.tsv, a CI run's figures a maintainer copies in when the labs'
 * times change a lot. Lines: seconds, a tab, the check's name as verify prints it. Only the
 * order of the checks depends on it, never a verdict.
 */
final class Seconds {
  private Seconds() {}

  static Map<String, Long> last(Path root) {
    Path mine = root.resolve(".workbook/verify-seconds.tsv");
    Map<String, Long> all = read(root.resolve("shared/tool/verify-seconds.tsv"));
    all.putAll(read(mine));
    return all;
  }

  /** Adds this run's figures to the machine's own file (checks not run this time keep theirs). */
  static void remember(Path root, Map<String, Long> took) {
    Path mine = root.resolve(".workbook/verify-seconds.tsv");
    Map<String, Long> all = read(mine);
    all.putAll(took);
    List<String> lines = new ArrayList<>();
    all.forEach((name, seconds) -> lines.add(seconds + "\t" + name));
    try {
      Files.createDirectories(mine.getParent());
      Files.write(mine, lines);
    } catch (IOException e) {
      // only the next run's order is lost
    }
  }

  private static Map<String, Long> read(Path file) {
    Map<String, Long> seconds = new TreeMap<>();
    try {
      for (String line : Files.readAllLines(file)) {
        String[] cols = line.split("\t", 2);
        if (cols.length == 2 && cols[0].matches("\\d{1,6}")) seconds.put(cols[1], Long.parseLong(cols[0]));
      }
    } catch (IOException e) {
      // no figures yet: the guesses decide
    }
    return seconds;
  }
}
