package workbook.tool.verify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Which test caught each mistake, so that the next verify runs that test alone first (see
 * Mistakes.check). A catch is remembered only when the catching test was the first of its step
 * to fail, and only for exactly what it was found on: a digest of the lab's files (its Markdown aside), the
 * solution's, shared/src and the mistake's patch. Change any of them and the mistake's whole
 * step runs in order again, so the first message verify records is still the first a learner
 * reads. The last run on this machine is kept in .workbook/verify-catchers.tsv; a clean clone
 * (CI) uses shared/tool/verify-catchers.tsv, a run's file a maintainer copies in after the tests
 * change. Lines: lab, mistake, digest, test ("Class$Nested#method"), tab separated. Only the
 * order of a mistake's tests depends on it, never a verdict.
 */
final class Catchers {
  private Catchers() {}

  /** The lab's known catches (this machine's last run over the committed file), in the child's format. */
  static void handOver(Path root, String lab, Path file) throws IOException {
    Map<String, String> all = forLab(read(root.resolve("shared/tool/verify-catchers.tsv")), lab);
    all.putAll(forLab(read(root.resolve(".workbook/verify-catchers.tsv")), lab));
    List<String> lines = new ArrayList<>();
    all.forEach((key, test) -> lines.add(key + "\t" + test));
    Files.write(file, lines);
  }

  /** Adds a lab's catches from this run (the child's file) to the machine's own file; other labs keep theirs. */
  static void remember(Path root, String lab, Path file) {
    Map<String, String> found = read(file);
    if (found.isEmpty()) return;
    Path mine = root.resolve(".workbook/verify-catchers.tsv");
    synchronized (Catchers.class) { // labs are checked side by side
      Map<String, String> all = read(mine);
      all.keySet().removeIf(key -> key.startsWith(lab + "\t")); // a mistake gone from the catalogue goes too
      found.forEach((key, test) -> all.put(lab + "\t" + key, test));
      List<String> lines = new ArrayList<>();
      all.forEach((key, test) -> lines.add(key + "\t" + test));
      try {
        Files.createDirectories(mine.getParent());
        Files.write(mine, lines);
      } catch (IOException e) {
        // only the next run's order is lost
      }
    }
  }

  /** Lines of tab-separated columns: all but the last make the key, the last is the test. */
  static Map<String, String> read(Path file) {
    Map<String, String> map = new TreeMap<>();
    try {
      for (String line : Files.readAllLines(file)) {
        int tab = line.lastIndexOf('\t');
        if (tab > 0 && line.indexOf('#', tab) > tab) map.put(line.substring(0, tab), line.substring(tab + 1).strip());
      }
    } catch (IOException e) {
      // none known: every step runs in order
    }
    return map;
  }

  /**
   * One digest of every file a mistake's verdict depends on but its patch: the lab's, the
   * solution's (not its catalogue), shared/src. Not their Markdown (the README, a step's notes):
   * no test reads it, so a README edited for a learner keeps every record.
   */
  static String fingerprint(Path lab, Path solution, Path sharedSrc) throws IOException {
    MessageDigest sha = sha256();
    for (Path dir : List.of(lab, solution, sharedSrc)) {
      if (!Files.isDirectory(dir)) continue;
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.filter(Files::isRegularFile).filter(f -> !dir.relativize(f).startsWith("mistakes"))
            .filter(f -> !f.getFileName().toString().endsWith(".md")).sorted().toList()) {
          sha.update(dir.relativize(f).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
          sha.update((byte) 0);
          sha.update(Files.readAllBytes(f));
          sha.update((byte) 0);
        }
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** The fingerprint and one mistake's patch, short. */
  static String digest(String fingerprint, Path patch) {
    MessageDigest sha = sha256();
    sha.update(fingerprint.getBytes(StandardCharsets.UTF_8));
    try {
      sha.update(Files.readAllBytes(patch));
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read " + patch, e);
    }
    return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static Map<String, String> forLab(Map<String, String> all, String lab) {
    Map<String, String> mine = new TreeMap<>();
    all.forEach((key, test) -> {
      if (key.startsWith(lab + "\t")) mine.put(key.substring(lab.length() + 1), test);
    });
    return mine;
  }
}
