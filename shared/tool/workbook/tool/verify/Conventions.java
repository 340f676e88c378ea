package workbook.tool.verify;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import workbook.tool.content.LabList;
import workbook.tool.content.LabReadme;
import workbook.tool.content.Labs;

/**
 * The conventions a maintainer relies on and nothing else checks, each broken one told in one
 * sentence naming the file (and line): what LabReadme finds wrong in a lab's README (steps
 * counted 1, 2, 3, hints in tiers and folded until asked for, the rules list); a step's number
 * agrees across the README, the TODO markers, the tags and the messages; every fact a lab cites
 * is defined; every rule of a lab's README names a test and stays one short line; every lab is in every list; a library version is pinned once; a solution changes
 * its starter only where a TODO says.
 */
public final class Conventions {
  // In Java comments, and in the YAML or text blocks some labs keep inside a Java string.
  private static final Pattern TODO_MARKER = Pattern.compile("(//|#)\\s*TODO (\\d+)\\b");
  private static final Pattern TYPE_DECLARATION = Pattern.compile("\\b(class|record|interface|enum)\\s+\\w+");
  private static final Pattern TAG = Pattern.compile("@Tag\\(\"step(\\d+)\"\\)");
  private static final Pattern AS_TODO = Pattern.compile("\"\\[?TODO (\\d+)\\b");
  private static final Pattern FACT = Pattern.compile("\\b([RGEOC][1-9]\\d?)\\b");
  private static final Pattern DEPS = Pattern.compile("^//DEPS (.+)$");
  private static final Pattern COORDINATE = Pattern.compile("^([\\w.-]+):([\\w.-]+):([^:@\\s]+)");

  private final Labs labs;
  private final List<String> problems = new ArrayList<>();

  public Conventions(Labs labs) { this.labs = labs; }

  /** Every problem found, one sentence each; empty when the workbook keeps its conventions. */
  public List<String> check() {
    for (Labs.Lab lab : labs.all()) {
      steps(lab);
      rules(lab);
      drift(lab);
      timeouts(lab);
    }
    facts();
    lists();
    versions();
    return problems;
  }

  // --- steps ----------------------------------------------------------------------------------

  private void steps(Labs.Lab lab) {
    LabReadme readme = lab.readme();
    problems.addAll(readme.problems()); // steps counted 1, 2, 3; hints per step, in tiers, folded; the rules list
    String where = "labs/" + lab.slug() + "/README.md";
    Set<Integer> steps = new TreeSet<>();
    readme.steps().forEach(s -> steps.add(s.number()));
    Map<Integer, String> todos = new TreeMap<>();
    Path test = lab.testFile().orElse(null);
    for (Path f : javaFiles(lab.dir())) {
      if (f.equals(test)) continue;
      List<String> src = lines(f);
      for (int i = 0; i < src.size(); i++) {
        Matcher m = TODO_MARKER.matcher(src.get(i));
        while (m.find()) todos.putIfAbsent(Integer.parseInt(m.group(2)), rel(f) + ":" + (i + 1));
      }
    }
    for (Map.Entry<Integer, String> todo : todos.entrySet()) {
      if (!steps.contains(todo.getKey())) {
        problems.add(todo.getValue() + ": TODO " + todo.getKey() + " names a step that " + where + " has no \"## Step " + todo.getKey() + "\" for.");
      }
    }
    Set<Integer> unmarked = new TreeSet<>(steps);
    unmarked.removeAll(todos.keySet());
    if (!unmarked.isEmpty()) problems.add("No file of labs/" + lab.slug() + " has a TODO marker for step(s) " + unmarked + " of " + where + ".");
    if (test == null) return;
    String testText = Labs.read(test);
    compare(rel(test) + "'s @Tag(\"stepN\")", steps, numbers(TAG, testText));
    compare(rel(test) + "'s .as(\"TODO N ...\") messages", steps, numbers(AS_TODO, testText));
    for (Path f : javaFiles(lab.solutionDir())) {
      List<String> src = lines(f);
      for (int i = 0; i < src.size(); i++) {
        if (TODO_MARKER.matcher(src.get(i)).find()) problem(f, i + 1, "a solution keeps no TODO marker: say in one line why the code is right");
      }
    }
  }

  private void compare(String what, Set<Integer> readmeSteps, Set<Integer> found) {
    Set<Integer> missing = new TreeSet<>(readmeSteps);
    missing.removeAll(found);
    Set<Integer> extra = new TreeSet<>(found);
    extra.removeAll(readmeSteps);
    if (!missing.isEmpty()) problems.add(what + " miss step(s) " + missing + " that the README has.");
    if (!extra.isEmpty()) problems.add(what + " name step(s) " + extra + " that the README has no \"## Step N\" for.");
  }

  private static Set<Integer> numbers(Pattern p, String text) {
    Set<Integer> found = new TreeSet<>();
    Matcher m = p.matcher(text);
    while (m.find()) found.add(Integer.parseInt(m.group(1)));
    return found;
  }

  // --- rules ----------------------------------------------------------------------------------

  /** How many words a rule of "## What the tests check" may take, besides its tests' names. */
  static final int RULE_WORDS = 120;
  private static final Pattern DISPLAY_NAME = Pattern.compile("@DisplayName\\(((?:\\s*\"(?:[^\"\\\\]|\\\\.)*\"\\s*\\+?)+)\\s*\\)");
  private static final Pattern PARAMETERIZED_NAME = Pattern.compile("@ParameterizedTest\\(name\\s*=\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern JAVA_STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]+)\"");
  private static final Pattern ITALIC = Pattern.compile("(?<![*\\w])\\*([^*\\s][^*]*)\\*(?![*\\w])");
  private static final Pattern SELF_TEST = Pattern.compile("shared/test/(\\w+Test)(\\.java)?");

  /**
   * Every rule of "## What the tests check" names at least one test that checks it, as the run
   * prints its name (quoted or in italics; a long name may end in "..."), and says the rule in at
   * most RULE_WORDS words besides those names. Each round of fresh readers adds cases to a
   * rule; written into its line, they turned the list into a second README that nobody reads.
   * The cases belong in the failure message of the test that tries them.
   */
  private void rules(Labs.Lab lab) {
    List<String> names = testNames(lab);
    Path readme = lab.dir().resolve("README.md");
    for (LabReadme.Rule rule : lab.readme().rules()) {
      String text = rule.text().replaceAll("\\s+", " ");
      if (!namesATest(text, names)) {
        problem(readme, rule.line(), "the rule \"" + shortened(text) + "\" names no test of the lab: add in brackets the name of each"
            + " test that checks it, as the run prints it (docs/lab-anatomy.md, \"What the tests check\")");
      }
      String rest = ITALIC.matcher(QUOTED.matcher(text).replaceAll(" ")).replaceAll(" ").strip();
      int words = rest.isEmpty() ? 0 : rest.split("\\s+").length;
      if (words > RULE_WORDS) {
        problem(readme, rule.line(), "the rule \"" + shortened(text) + "\" takes " + words + " words besides its tests' names (at most "
            + RULE_WORDS + "): say the rule in one line and leave its cases to the failure messages of its tests");
      }
    }
  }

  /** The names the run prints for the lab's tests: their @DisplayName, or their @ParameterizedTest name. */
  private static List<String> testNames(Labs.Lab lab) {
    List<String> names = new ArrayList<>();
    for (Path f : javaFiles(lab.dir())) {
      if (!f.getFileName().toString().endsWith("Test.java")) continue;
      String src = Labs.read(f);
      Matcher d = DISPLAY_NAME.matcher(src);
      while (d.find()) {
        StringBuilder name = new StringBuilder();
        Matcher part = JAVA_STRING.matcher(d.group(1));
        while (part.find()) name.append(unescape(part.group(1)));
        names.add(name.toString().replaceAll("\\s+", " ").strip());
      }
      Matcher p = PARAMETERIZED_NAME.matcher(src);
      while (p.find()) names.add(unescape(p.group(1)).replaceAll("\\s+", " ").strip());
    }
    return names;
  }

  /**
   * Whether a rule names one of the tests: the start of a test's name is in it (as written, or
   * without the stars of italics), or a quoted or italic part of it of 12 characters or more,
   * without a closing "...", begins or is in a test's name; or it names a self-test of shared/test.
   */
  private boolean namesATest(String text, List<String> names) {
    String plain = text.replace("*", "");
    for (String n : names) {
      String start = n.substring(0, Math.min(n.length(), 24));
      if (start.length() >= 12 && (text.contains(start) || plain.contains(start))) return true;
    }
    for (Pattern p : List.of(QUOTED, ITALIC)) {
      Matcher m = p.matcher(text);
      while (m.find()) {
        String part = m.group(1).replaceFirst("\\s*(\\.\\.\\.|\u2026)\\s*:?\\s*$", "").strip();
        if (part.length() >= 12 && names.stream().anyMatch(n -> n.contains(part))) return true;
      }
    }
    Matcher self = SELF_TEST.matcher(text);
    while (self.find()) {
      if (Files.exists(labs.root.resolve("shared/test/" + self.group(1) + ".java"))) return true;
    }
    return false;
  }

  private static String unescape(String javaString) {
    return javaString.replace("\\\"", "\"").replace("\\\\", "\\");
  }

  private static String shortened(String text) {
    String t = text.replaceFirst("^[-*+]\\s+", "");
    return t.length() > 60 ? t.substring(0, 57) + "..." : t;
  }

  // --- facts ----------------------------------------------------------------------------------

  private void facts() {
    Path glossary = labs.root.resolve("docs/facts.md");
    Set<String> defined = new TreeSet<>();
    Matcher d = Pattern.compile("^- \\*\\*([RGEOC]\\d+)\\*\\*", Pattern.MULTILINE).matcher(Labs.read(glossary));
    while (d.find()) defined.add(d.group(1));
    List<Path> pages = new ArrayList<>();
    for (Labs.Lab lab : labs.all()) pages.add(lab.dir().resolve("README.md"));
    try (Stream<Path> docs = Files.list(labs.root.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md") && !p.equals(glossary)).sorted().forEach(pages::add);
    } catch (java.io.IOException e) {
      problems.add("docs/ could not be listed: " + e.getMessage());
    }
    for (Path page : pages) {
      List<String> lines = lines(page);
      boolean cites = false;
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = FACT.matcher(lines.get(i).replaceAll("`[^`]*`", ""));
        while (m.find()) {
          cites = true;
          if (!defined.contains(m.group(1))) problem(page, i + 1, "cites fact " + m.group(1) + ", which docs/facts.md does not define");
        }
      }
      if (cites && page.startsWith(labs.root.resolve("labs")) && !Labs.read(page).contains("docs/facts.md")) {
        problems.add(rel(page) + " cites facts by id but never links ../../docs/facts.md, where a learner can read them.");
      }
    }
  }

  // --- lists ----------------------------------------------------------------------------------

  /**
   * The lists of labs are written from each lab README's card (LabList): a card is complete, and
   * every file holding a list says what the cards say.
   */
  private void lists() {
    LabList lists = new LabList(labs);
    problems.addAll(lists.cardProblems());
    for (String file : lists.expected().keySet()) {
      String missing = lists.missingRegion(file);
      if (missing != null) problems.add(missing);
    }
    for (String file : lists.stale()) {
      problems.add(file + "'s list of labs differs from the labs' README cards: run " + LabList.COMMAND + " to write it again.");
    }
  }

  // --- versions -------------------------------------------------------------------------------

  private void versions() {
    Map<String, List<String>> pins = new LinkedHashMap<>();
    for (String top : List.of("shared", "labs", "solutions")) {
      for (Path f : javaFilesUnder(labs.root.resolve(top))) {
        List<String> src = lines(f);
        for (int i = 0; i < src.size(); i++) {
          Matcher deps = DEPS.matcher(src.get(i));
          if (!deps.find()) continue;
          for (String coordinate : deps.group(1).trim().split("\\s+")) {
            Matcher c = COORDINATE.matcher(coordinate);
            if (!c.find()) continue;
            String ga = c.group(1) + ":" + c.group(2);
            pins.computeIfAbsent(ga, k -> new ArrayList<>()).add(rel(f) + ":" + (i + 1) + " (" + c.group(3) + ")");
          }
        }
      }
    }
    pins.forEach((ga, where) -> {
      if (where.size() > 1) problems.add(ga + " is pinned in " + where.size() + " places: " + String.join(", ", where) + "; keep one //DEPS line and source it.");
    });
    String bash = versionIn("jbang", "JBANG_VERSION=([\\w.]+)");
    String cmd = versionIn("jbang.cmd", "JBANG_VERSION=([\\w.]+)");
    if (bash != null && cmd != null && !bash.equals(cmd)) {
      problems.add("jbang fetches JBang " + bash + " but jbang.cmd fetches " + cmd + ": make them the same.");
    }
  }

  private String versionIn(String file, String regex) {
    Matcher m = Pattern.compile(regex).matcher(Labs.read(labs.root.resolve(file)));
    return m.find() ? m.group(1) : null;
  }

  // --- starter and solution -------------------------------------------------------------------

  /**
   * A solution file may differ from its starter only inside a TODO region (the body of the
   * method, or the declaration, that holds a TODO marker) and in its imports: a fix made in one
   * and not the other is undone whenever verify lays the solution over the starter.
   */
  private void drift(Labs.Lab lab) {
    for (Path sol : javaFiles(lab.solutionDir())) {
      Path starter = lab.dir().resolve(sol.getFileName());
      if (!Files.exists(starter)) continue;
      List<String> a = lines(starter);
      List<String> b = lines(sol);
      boolean[] allowed = todoRegions(a);
      for (int[] hunk : changedStarterLines(a, b)) {
        if (!mayDiffer(a, b, allowed, hunk)) {
          problem(starter, hunk[0] + 1, "differs from " + rel(sol) + " outside any TODO region (a fix made in one file only is"
              + " undone when verify lays the solution over the starter; ./jbang workbook@. sync " + lab.number()
              + " writes the starter's given code from the solution)");
          break;
        }
      }
    }
  }

  /**
   * Whether one hunk of the difference between a starter (a) and its solution (b) lies where the
   * two may differ: inside a TODO region (allowed, from {@link #todoRegions}), in the imports, or
   * as whole members the solution adds. A hunk is {from, to, bFrom, bTo}, as
   * {@link #changedStarterLines} gives it.
   */
  static boolean mayDiffer(List<String> a, List<String> b, boolean[] allowed, int[] hunk) {
    int from = hunk[0];
    int to = hunk[1]; // exclusive; from == to: lines inserted before `from`
    if (from == to) {
      return (from < a.size() && allowed[from]) || (from > 0 && allowed[from - 1])
          || insertedImports(b, hunk[2], hunk[3]) || wholeMembers(b, hunk[2], hunk[3]);
    }
    for (int i = from; i < to; i++) if (!allowed[i] && !isImport(a.get(i))) return false;
    return true;
  }

  private static boolean isImport(String line) {
    String t = line.strip();
    return t.isEmpty() || t.startsWith("import ");
  }

  /** Lines the solution adds that are complete members (a helper method, a constant): braces balance. */
  private static boolean wholeMembers(List<String> b, int from, int to) {
    int depth = 0;
    for (int i = from; i < to; i++) {
      for (char c : code(b.get(i)).toCharArray()) {
        if (c == '{') depth++;
        else if (c == '}') depth--;
        if (depth < 0) return false;
      }
    }
    return depth == 0;
  }

  /** A line without its string literals and its // comment: what is left for counting braces. */
  private static String code(String line) {
    return line.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"").replaceAll("//.*", "");
  }

  private static boolean insertedImports(List<String> b, int from, int to) {
    for (int i = from; i < to; i++) if (!isImport(b.get(i))) return false;
    return true;
  }

  /** Lines of the starter inside a TODO region: the innermost block holding a marker, from its opening line to its end. */
  static boolean[] todoRegions(List<String> src) {
    boolean[] allowed = new boolean[src.size() + 1];
    int[] depthBefore = new int[src.size() + 1];
    int depth = 0;
    for (int i = 0; i < src.size(); i++) {
      depthBefore[i] = depth;
      for (char c : code(src.get(i)).toCharArray()) {
        if (c == '{') depth++;
        else if (c == '}') depth--;
      }
    }
    depthBefore[src.size()] = depth;
    for (int i = 0; i < src.size(); i++) {
      if (!TODO_MARKER.matcher(src.get(i)).find()) continue;
      int d = depthBefore[i];
      int start = opening(depthBefore, i, d);
      // Widen to the whole member: a TODO inside a loop still owns the rest of its method.
      while (d > 1 && !declaresType(src, opening(depthBefore, start, d - 1))) {
        d--;
        start = opening(depthBefore, start, d);
      }
      int end = i;
      while (end < src.size() && depthBefore[end + 1] >= d) end++;
      // the Javadoc and annotations above the block's opening line belong to it too
      int top = start;
      while (top > 0 && src.get(top - 1).strip().matches("(\\*.*|/\\*\\*.*|@.*|//.*)")) top--;
      for (int k = top; k <= Math.min(end, src.size() - 1); k++) allowed[k] = true;
    }
    return allowed;
  }

  /**
   * Whether the block opened on this line is a type's body: its header may span lines (a record's
   * components often do), so the lines before it that end neither a statement nor a block count too.
   */
  private static boolean declaresType(List<String> src, int line) {
    StringBuilder header = new StringBuilder(code(src.get(line)));
    for (int k = line - 1; k >= 0 && k >= line - 8; k--) {
      String t = code(src.get(k)).strip();
      if (t.isEmpty() || t.endsWith(";") || t.endsWith("{") || t.endsWith("}") || t.startsWith("*") || t.startsWith("/")) break;
      header.insert(0, t + " ");
    }
    return TYPE_DECLARATION.matcher(header).find();
  }

  /** The line that opened the block of depth d holding line i. */
  private static int opening(int[] depthBefore, int i, int d) {
    int start = i;
    while (start > 0 && depthBefore[start] >= d) start--;
    return start;
  }

  /** The changed hunks as {starterFrom, starterTo, solutionFrom, solutionTo}, from a line LCS. */
  static List<int[]> changedStarterLines(List<String> a, List<String> b) {
    int n = a.size();
    int m = b.size();
    int[][] lcs = new int[n + 1][m + 1];
    for (int i = n - 1; i >= 0; i--) {
      for (int j = m - 1; j >= 0; j--) {
        lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    List<int[]> hunks = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a.get(i).equals(b.get(j))) { i++; j++; continue; }
      int si = i;
      int sj = j;
      while ((i < n || j < m) && !(i < n && j < m && a.get(i).equals(b.get(j)))) {
        if (j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1])) i++;
        else j++;
      }
      hunks.add(new int[] {si, i, sj, j});
    }
    return hunks;
  }

  // --- timeouts -------------------------------------------------------------------------------

  /**
   * Every lab's test class has a @Timeout, and every @Timeout on a test runs it in a separate
   * thread: the workbook's runs make that the default, but a run in an IDE (open NN) knows only
   * the annotation, and in the same thread a test that ignores interrupts (join(), a busy loop)
   * is never stopped.
   */
  private void timeouts(Labs.Lab lab) {
    Path test = lab.testFile().orElse(null);
    if (test == null) return;
    List<String> lines = lines(test);
    boolean classLevel = false;
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (!l.strip().startsWith("@Timeout(")) continue;
      if (!l.startsWith(" ")) classLevel = true;
      if (!l.contains("SEPARATE_THREAD")) {
        problem(test, i + 1, "a @Timeout without threadMode = Timeout.ThreadMode.SEPARATE_THREAD: run in an IDE, a test"
            + " that ignores interrupts would never be stopped");
      }
    }
    if (!classLevel) {
      problem(test, 1, "the test class has no @Timeout(value = N, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)");
    }
  }

  // --- helpers --------------------------------------------------------------------------------

  private void problem(Path file, int line, String what) {
    problems.add(rel(file) + ":" + line + ": " + what + ".");
  }

  private String rel(Path p) {
    return labs.root.relativize(p.toAbsolutePath()).toString();
  }

  private static List<String> lines(Path p) {
    return Labs.read(p).lines().toList();
  }

  private static List<Path> javaFiles(Path dir) {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    } catch (java.io.IOException e) {
      return List.of();
    }
  }

  private static List<Path> javaFilesUnder(Path dir) {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    } catch (java.io.IOException e) {
      return List.of();
    }
  }
}
