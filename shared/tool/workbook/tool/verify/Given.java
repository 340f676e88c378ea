package workbook.tool.verify;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import workbook.tool.base.Fs;
import workbook.tool.base.Git;
import workbook.tool.content.Labs;

/**
 * Given code written once. A lab's code lives three times: the starter, the solution (the
 * starter with its TODO regions filled in) and the mistakes (patches on the solution). The
 * solution is where a maintainer edits; these two commands carry an edit to the other two:
 * {@code sync NN} writes the starter's code outside its TODO regions from the solution, and
 * {@code mistakes rebase NN} re-makes every mistake patch on the solution as it is now.
 */
public final class Given {
  private Given() {}

  /**
   * Writes into each starter file of the lab the solution's code wherever the two differ outside
   * a TODO region, an import or a member the solution adds (what conventions calls drift). A
   * difference that is partly inside a TODO region is left for a person, and said.
   */
  public static int sync(Labs labs, Labs.Lab lab) throws IOException {
    int written = 0;
    int left = 0;
    for (Path sol : javaFiles(lab.solutionDir())) {
      Path starter = lab.dir().resolve(sol.getFileName());
      if (!Files.exists(starter)) continue;
      String text = Files.readString(starter, StandardCharsets.UTF_8);
      List<String> a = new ArrayList<>(text.lines().toList());
      List<String> b = Files.readString(sol, StandardCharsets.UTF_8).lines().toList();
      boolean[] allowed = Conventions.todoRegions(a);
      List<int[]> hunks = Conventions.changedStarterLines(a, b);
      List<String> where = new ArrayList<>();
      // From the last hunk to the first, so that each one's line numbers still hold.
      for (int k = hunks.size() - 1; k >= 0; k--) {
        int[] h = hunks.get(k);
        if (Conventions.mayDiffer(a, b, allowed, h)) continue;
        boolean touchesTodo = false;
        for (int i = h[0]; i < h[1]; i++) touchesTodo |= allowed[i];
        if (touchesTodo) {
          System.out.println(rel(labs, starter) + ":" + (h[0] + 1) + ": differs from the solution partly inside a TODO"
              + " region: write this one by hand");
          left++;
          continue;
        }
        a.subList(h[0], h[1]).clear();
        a.addAll(h[0], b.subList(h[2], h[3]));
        where.add(0, String.valueOf(h[0] + 1));
      }
      if (where.isEmpty()) continue;
      String newline = text.contains("\r\n") ? "\r\n" : "\n";
      Files.writeString(starter, String.join(newline, a) + (text.endsWith("\n") ? newline : ""), StandardCharsets.UTF_8);
      System.out.println(rel(labs, starter) + ": given code written from the solution at line(s) " + String.join(", ", where));
      written += where.size();
    }
    if (written == 0 && left == 0) System.out.println("Lab " + lab.number() + ": the starter's given code is the solution's already.");
    return left == 0 ? 0 : 1;
  }

  private static final Pattern FILE = Pattern.compile("^(?:\\+\\+\\+|---) [ab]/(\\S+)", Pattern.MULTILINE);

  /**
   * Re-makes every patch of the lab's catalogue of mistakes against the solution as it is in the
   * work tree, from the solution at {@code base} (a git revision: the one the patches were made
   * on, HEAD by default): each patch is laid on the solution at base, and its change merged
   * into today's solution (git merge-file), file by file. A patch whose change no longer merges
   * is listed and left as it was. Exit 0 when every patch applies to today's solution.
   */
  public static int rebase(Labs labs, Labs.Lab lab, String base) throws IOException {
    List<Mistakes.Mistake> all = Mistakes.of(lab.solutionDir());
    if (all.isEmpty()) {
      System.out.println("Lab " + lab.number() + " has no mistakes to rebase.");
      return 0;
    }
    Path scratch = Fs.tempDir("mistakes-rebase");
    int rewritten = 0;
    int same = 0;
    List<String> stale = new ArrayList<>();
    try {
      for (Mistakes.Mistake m : all) {
        String patch = Files.readString(m.patch(), StandardCharsets.UTF_8);
        Set<String> files = new TreeSet<>();
        Matcher f = FILE.matcher(patch);
        while (f.find()) files.add(f.group(1));
        Path dir = Files.createDirectories(scratch.resolve(m.name()));
        Path old = Files.createDirectories(dir.resolve("base"));
        Path now = Files.createDirectories(dir.resolve("a"));
        Path mistaken = Files.createDirectories(dir.resolve("b"));
        String why = null;
        for (String file : files) {
          // A mistake is laid over the starter with the solution on top: a file the solution lacks is the starter's.
          Path today = Files.exists(lab.solutionDir().resolve(file)) ? lab.solutionDir().resolve(file) : lab.dir().resolve(file);
          String path = labs.root.relativize(today.toAbsolutePath()).toString().replace('\\', '/');
          Git.Result shown = Git.git(labs.root, "show", base + ":" + path);
          if (shown.exit() != 0 || !Files.exists(today)) {
            why = path + " is not there both at " + base + " and today";
            break;
          }
          Files.writeString(old.resolve(file), shown.out(), StandardCharsets.UTF_8);
          Files.copy(today, now.resolve(file));
        }
        if (why == null) {
          Fs.copyTree(old, mistaken);
          String refused = Mistakes.apply(m.patch(), mistaken);
          if (refused != null) why = "it does not apply to the solution at " + base + " either: " + refused;
        }
        for (String file : why == null ? files : Set.<String>of()) {
          Path merged = dir.resolve("merged");
          Files.copy(now.resolve(file), merged);
          Git.Result r = Git.git(dir, "merge-file", "-q", merged.toString(), old.resolve(file).toString(), mistaken.resolve(file).toString());
          if (r.exit() != 0) {
            why = "its change to " + file + " conflicts with the solution's since " + base;
            break;
          }
          Files.move(merged, mistaken.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        if (why != null) {
          stale.add(m.name() + ": " + why);
          continue;
        }
        List<String> diff = new ArrayList<>();
        for (String file : files) {
          Git.Result d = Git.git(dir, "diff", "--no-index", "--no-prefix", "a/" + file, "b/" + file);
          diff.add(d.out());
        }
        // What stands before the diff (the "step N: why" line, any words under it) is kept as it is.
        StringBuilder header = new StringBuilder();
        for (String line : patch.lines().toList()) {
          if (line.startsWith("diff --git") || line.startsWith("--- ")) break;
          header.append(line).append('\n');
        }
        String again = header + String.join("", diff);
        if (String.join("", diff).isBlank()) {
          stale.add(m.name() + ": laid on today's solution it changes nothing (the solution has the mistake's code now)");
        } else if (normal(again).equals(normal(patch))) {
          same++;
        } else {
          Files.writeString(m.patch(), again, StandardCharsets.UTF_8);
          rewritten++;
        }
      }
    } finally {
      Fs.delete(scratch);
    }
    System.out.println("Lab " + lab.number() + ": " + all.size() + " mistakes, " + rewritten + " re-made on today's solution, "
        + same + " unchanged" + (stale.isEmpty() ? "." : ", " + stale.size() + " left as they were, to redo by hand:"));
    stale.forEach(s -> System.out.println("  " + s));
    return stale.isEmpty() ? 0 : 1;
  }

  /** A patch without the lines that change with every re-make (index hashes, hunk offsets). */
  private static String normal(String patch) {
    return patch.lines().filter(l -> !l.startsWith("index ") && !l.startsWith("diff --git"))
        .map(l -> l.startsWith("@@") ? "@@" : l).reduce("", (x, y) -> x + y + "\n");
  }

  private static String rel(Labs labs, Path p) {
    return labs.root.relativize(p.toAbsolutePath()).toString();
  }

  private static List<Path> javaFiles(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    }
  }
}
