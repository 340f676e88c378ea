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
 * docs/architecture.md, the maintainers' page, draws the arrows between the tool's files: every
 * arrow it draws exists in the code, and none the code has is missing.
 */
@DisplayName("Architecture: the maintainers' page matches what the code uses")
@Timeout(60)
class ArchitectureTest {
  public static void main(String[] args) { workbook.test.LabTests.run(ArchitectureTest.class, args); }

  private static final Pattern ARROW = Pattern.compile("^(\\w+)\\s*->\\s*([\\w ]*?)\\s*(?:\\[([\\w., ]*)\\])?\\s*$");

  @Test @DisplayName("every file of shared/tool has its line in docs/architecture.md, naming exactly the files and shared packages its code uses")
  void arrowsMatchTheCode() throws IOException {
    Path root = root();
    Map<String, String> code = arrowsInCode(root.resolve("shared/tool"));
    Map<String, String> page = arrowsOnPage(root.resolve("docs/architecture.md"));
    List<String> wrong = new ArrayList<>();
    code.forEach((file, uses) -> {
      if (!page.containsKey(file)) wrong.add("docs/architecture.md has no arrow line for shared/tool/" + file + ".java: add \"" + file + " -> " + uses + "\".");
      else if (!page.get(file).equals(uses)) wrong.add("docs/architecture.md draws \"" + file + " -> " + page.get(file) + "\" but the code has \"" + file + " -> " + uses + "\": update the page.");
    });
    page.keySet().stream().filter(f -> !code.containsKey(f))
        .forEach(f -> wrong.add("docs/architecture.md draws arrows from " + f + ", which is no file of shared/tool: remove its line."));
    assertThat(wrong).as("the page's arrows against the code").isEmpty();
  }

  /** Per file: the other files it names in its code (comments and strings left out), then [the shared packages it uses]. */
  static Map<String, String> arrowsInCode(Path tool) throws IOException {
    List<String> names;
    try (Stream<Path> files = Files.list(tool)) {
      names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".java")).map(n -> n.replaceFirst("\\.java$", "")).sorted().toList();
    }
    Map<String, String> out = new TreeMap<>();
    for (String name : names) {
      String code = code(Files.readString(tool.resolve(name + ".java")));
      List<String> uses = new ArrayList<>();
      for (String other : names) {
        if (!other.equals(name) && Pattern.compile("\\b" + other + "\\b").matcher(code).find()) uses.add(other);
      }
      TreeSet<String> shared = new TreeSet<>();
      Matcher m = Pattern.compile("\\bworkbook\\.([a-z]+)\\.").matcher(code);
      while (m.find()) shared.add("workbook." + m.group(1));
      out.put(name, String.join(" ", uses) + (shared.isEmpty() ? "" : (uses.isEmpty() ? "" : "   ") + "[" + String.join(", ", shared) + "]"));
    }
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
