///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * docs/architecture.md, the maintainers' page, draws the arrows between the tool's packages: every
 * arrow it draws exists in the code's imports, none the code has is missing, and they never go round
 * in a circle. shared/tool's own files (Workbook and its verbs: the scripts JBang runs) are the
 * package `cli`, on top; workbook/tool/NAME/ is the package workbook.tool.NAME.
 */
@DisplayName("Architecture: the maintainers' page matches what the code uses")
@Timeout(60)
class ArchitectureTest {
  public static void main(String[] args) { workbook.test.LabTests.run(ArchitectureTest.class, args); }

  private static final Pattern ARROW = Pattern.compile("^(\\w+)\\s*->\\s*([\\w ]*?)\\s*(?:\\[([\\w., ]*)\\])?\\s*$");

  @Test @DisplayName("every package of shared/tool has its line in docs/architecture.md, naming exactly the packages of the tool and of shared/src its code uses")
  void arrowsMatchTheCode() throws IOException {
    Path root = root();
    Map<String, String> code = arrowsInCode(root.resolve("shared/tool"));
    Map<String, String> page = arrowsOnPage(root.resolve("docs/architecture.md"));
    List<String> wrong = new ArrayList<>();
    code.forEach((pkg, uses) -> {
      if (!page.containsKey(pkg)) wrong.add("docs/architecture.md has no arrow line for the package " + pkg + ": add \"" + pkg + " -> " + uses + "\".");
      else if (!page.get(pkg).equals(uses)) wrong.add("docs/architecture.md draws \"" + pkg + " -> " + page.get(pkg) + "\" but the code has \"" + pkg + " -> " + uses + "\": update the page.");
    });
    page.keySet().stream().filter(p -> !code.containsKey(p))
        .forEach(p -> wrong.add("docs/architecture.md draws arrows from " + p + ", which is no package of shared/tool: remove its line."));
    assertThat(wrong).as("the page's arrows against the code").isEmpty();
  }

  @Test @DisplayName("the tool's packages use each other one way: no arrow goes back up (a cycle would make two packages one)")
  void noCycles() throws IOException {
    Map<String, TreeSet<String>> uses = new TreeMap<>();
    arrowsInCode(root().resolve("shared/tool")).forEach((pkg, line) -> {
      String tool = line.replaceFirst("\\s*\\[.*$", "").strip();
      uses.put(pkg, new TreeSet<>(tool.isEmpty() ? List.of() : List.of(tool.split(" "))));
    });
    List<String> cycles = new ArrayList<>();
    for (String from : uses.keySet()) {
      if (reaches(uses, from, from, new TreeSet<>())) cycles.add(from + " uses itself through " + uses.get(from));
    }
    assertThat(cycles).as("packages that reach themselves through their arrows").isEmpty();
  }

  @Test @DisplayName("each package's files declare it, and each package says what it owns in its package-info.java")
  void packagesDeclared() throws IOException {
    Path tool = root().resolve("shared/tool/workbook/tool");
    List<String> wrong = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(tool)) {
      for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
        String pkg = "workbook.tool." + dir.getFileName();
        Path info = dir.resolve("package-info.java");
        if (!Files.exists(info) || !Files.readString(info).matches("(?s)/\\*\\*[^\\n]+\\*/\\s*package " + Pattern.quote(pkg) + ";\\s*")) {
          wrong.add(tool.relativize(info) + " is not a one-line comment on \"package " + pkg + ";\"");
        }
        try (Stream<Path> files = Files.list(dir)) {
          for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
            if (!Pattern.compile("(?m)^package " + Pattern.quote(pkg) + ";").matcher(Files.readString(f)).find()) {
              wrong.add(tool.relativize(f) + " does not declare package " + pkg);
            }
          }
        }
      }
    }
    assertThat(wrong).as("packages as their folders say").isEmpty();
  }

  private static boolean reaches(Map<String, TreeSet<String>> uses, String target, String at, TreeSet<String> seen) {
    for (String next : uses.getOrDefault(at, new TreeSet<>())) {
      if (next.equals(target)) return true;
      if (seen.add(next) && reaches(uses, target, next, seen)) return true;
    }
    return false;
  }

  /** The package of a file of shared/tool: cli for the scripts at its top, NAME for workbook/tool/NAME/; null for the rest (pit/). */
  static String packageOf(Path tool, Path file) {
    Path rel = tool.relativize(file);
    if (rel.getNameCount() == 1) return "cli";
    if (rel.getNameCount() == 4 && rel.startsWith("workbook/tool")) return rel.getName(2).toString();
    return null;
  }

  /** Per package: the other packages of the tool its code names (comments and strings left out), then [the shared packages it uses]. */
  static Map<String, String> arrowsInCode(Path tool) throws IOException {
    Map<String, TreeSet<String>> uses = new TreeMap<>();
    Map<String, TreeSet<String>> shared = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> all = Files.walk(tool)) {
      files = all.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    }
    for (Path file : files) {
      String pkg = packageOf(tool, file);
      if (pkg == null) continue;
      String code = code(Files.readString(file));
      TreeSet<String> mine = uses.computeIfAbsent(pkg, p -> new TreeSet<>());
      Matcher m = Pattern.compile("\\bworkbook\\.tool\\.([a-z]+)\\b").matcher(code);
      while (m.find()) if (!m.group(1).equals(pkg)) mine.add(m.group(1));
      Matcher s = Pattern.compile("\\bworkbook\\.(?!tool\\.)([a-z]+)\\.").matcher(code);
      while (s.find()) shared.computeIfAbsent(pkg, p -> new TreeSet<>()).add("workbook." + s.group(1));
    }
    Map<String, String> out = new TreeMap<>();
    uses.forEach((pkg, tool2) -> {
      TreeSet<String> sh = shared.getOrDefault(pkg, new TreeSet<>());
      out.put(pkg, String.join(" ", tool2) + (sh.isEmpty() ? "" : (tool2.isEmpty() ? "" : "   ") + "[" + String.join(", ", sh) + "]"));
    });
    return out;
  }

  static Map<String, String> arrowsOnPage(Path page) throws IOException {
    String text = Files.readString(page);
    int from = text.indexOf("<!-- arrows -->");
    int to = text.indexOf("<!-- /arrows -->");
    assertThat(from).as("docs/architecture.md has its <!-- arrows --> ... <!-- /arrows --> block").isGreaterThanOrEqualTo(0);
    assertThat(to).as("docs/architecture.md has its <!-- arrows --> ... <!-- /arrows --> block").isGreaterThan(from);
    Map<String, String> out = new TreeMap<>();
    for (String line : text.substring(from, to).lines().toList()) {
      Matcher m = ARROW.matcher(line);
      if (!m.matches()) continue;
      String uses = m.group(2).strip().replaceAll("\\s+", " ");
      String shared = m.group(3) == null ? "" : "[" + m.group(3).strip() + "]";
      out.put(m.group(1), uses + (shared.isEmpty() ? "" : (uses.isEmpty() ? "" : "   ") + shared));
    }
    return out;
  }

  /** Java without its comments, string and character literals (a class named in a message is no arrow). */
  static String code(String java) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    int n = java.length();
    while (i < n) {
      if (java.startsWith("\"\"\"", i)) { // a text block
        int end = java.indexOf("\"\"\"", i + 3);
        while (end > 0 && java.charAt(end - 1) == '\\') end = java.indexOf("\"\"\"", end + 1);
        i = end < 0 ? n : end + 3;
        out.append("\"\"");
      } else if (java.startsWith("//", i)) {
        int end = java.indexOf('\n', i);
        i = end < 0 ? n : end;
      } else if (java.startsWith("/*", i)) {
        int end = java.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (java.charAt(i) == '"' || java.charAt(i) == '\'') {
        char quote = java.charAt(i++);
        while (i < n && java.charAt(i) != quote && java.charAt(i) != '\n') i += java.charAt(i) == '\\' ? 2 : 1;
        i++;
        out.append(quote).append(quote);
      } else {
        out.append(java.charAt(i++));
      }
    }
    return out.toString();
  }

  private static Path root() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("jbang-catalog.json")) && Files.isDirectory(p.resolve("shared/tool"))) return p;
    }
    throw new IllegalStateException("run this from inside the workbook");
  }
}
