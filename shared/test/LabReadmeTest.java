///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../tool/workbook/tool/content/LabReadme.java ../tool/workbook/tool/content/Catalog.java ../tool/workbook/tool/base/Json.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import workbook.tool.content.Catalog;
import workbook.tool.content.LabReadme;

/**
 * The one model of a lab's README (LabReadme) on every real lab README and on broken ones, and
 * jbang-catalog.json read and written as JSON (Catalog): whatever its layout, and the `jbang`
 * wrapper names the labs of a catalog in any layout.
 */
@DisplayName("LabReadme and Catalog: a lab's README and the catalog, each read one way")
@Timeout(120)
class LabReadmeTest {
  public static void main(String[] args) { workbook.test.LabTests.run(LabReadmeTest.class, args); }

  private static final Path ROOT = root();

  private static Path root() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("jbang-catalog.json")) && Files.isDirectory(p.resolve("labs"))) return p;
    }
    throw new IllegalStateException("run this from inside the workbook");
  }

  private static List<Path> labDirs() throws IOException {
    try (Stream<Path> dirs = Files.list(ROOT.resolve("labs"))) {
      return dirs.filter(d -> d.getFileName().toString().matches("\\d\\d-[a-z0-9-]+")).sorted().toList();
    }
  }

  private static LabReadme read(Path dir) {
    String slug = dir.getFileName().toString();
    return LabReadme.of(dir.resolve("README.md"), "labs/" + slug + "/README.md", slug.substring(0, 2));
  }

  @Test @DisplayName("every lab README gives a title, a full card, steps 1..n each with hints 1, 2, 3 folded, rules, and no problem")
  void everyRealReadme() throws IOException {
    List<Path> dirs = labDirs();
    assertThat(dirs).as("the labs").hasSizeGreaterThanOrEqualTo(16);
    for (Path dir : dirs) {
      String where = "labs/" + dir.getFileName() + "/README.md";
      LabReadme r = read(dir);
      String first = Files.readAllLines(dir.resolve("README.md")).get(0);
      assertThat(r.title()).as(where + "'s title").hasValue(first.replaceFirst("^# Lab \\d\\d: ", ""));
      assertThat(r.card()).as(where + "'s card").isPresent();
      assertThat(r.card().get().keySet()).as(where + "'s card keys").containsAll(LabReadme.CARD_KEYS);
      assertThat(r.steps()).as(where + "'s steps").isNotEmpty();
      for (int i = 0; i < r.steps().size(); i++) {
        LabReadme.Step step = r.steps().get(i);
        assertThat(step.number()).as(where + ": " + step.heading()).isEqualTo(i + 1);
        assertThat(r.line(step.line())).as(where + ":" + step.line()).startsWith("## Step " + step.number());
        List<LabReadme.Tier> tiers = r.hints(step.number());
        assertThat(tiers).as(where + ": the hints of step " + step.number()).extracting(LabReadme.Tier::number).containsExactly(1, 2, 3);
        for (LabReadme.Tier t : tiers) {
          assertThat(t.folded()).as(where + ":" + t.line() + " is folded").isTrue();
          assertThat(t.text()).as(where + ":" + t.line()).isNotBlank().doesNotContain("<details>").doesNotStartWith(t.number() + ".");
          assertThat(r.line(t.line())).as(where + ":" + t.line()).startsWith(t.number() + ". ");
        }
      }
      assertThat(r.rules()).as(where + "'s rules (## What the tests check)").isNotEmpty();
      assertThat(r.cardProblems()).as(where + "'s card problems").isEmpty();
      assertThat(r.problems()).as(where + "'s problems").isEmpty();
    }
  }

  @Test @DisplayName("a hint's text is its item as written, continuation lines joined (what hint NN prints)")
  void hintText() {
    LabReadme r = LabReadme.parse("labs/98-x/README.md", "98", null, readme("""
        <details><summary>Hint 2: the approach</summary>

        2. Keep the three `CompletableFuture`s in variables first; call `join()` on them only when you
           build the `OrderView`.

        </details>
        """));
    assertThat(r.hints(1)).extracting(LabReadme.Tier::text)
        .containsExactly("A nudge.", "Keep the three `CompletableFuture`s in variables first; call `join()` on them only when you build the `OrderView`.", "Read more.");
    assertThat(r.rules()).extracting(LabReadme.Rule::text).containsExactly("A rule (\"a test\").");
    assertThat(r.problems()).isEmpty();
    assertThat(r.cardProblems()).isEmpty();
  }

  /** Each broken README: what changes, and the sentence (a pattern) it must then give. */
  private record Broken(String from, String to, String sentence) {}

  @Test @DisplayName("a broken README is told in one sentence naming the file, the line and what to fix")
  void brokenReadmes() {
    List<Broken> cases = List.of(
        new Broken("# Lab 98: Small", "# Small", "labs/98-x/README.md:1: the first line should be \"# Lab 98: Title\"."),
        new Broken("minutes: 5\n", "", "labs/98-x/README.md's lab card has no \"minutes: ...\" line."),
        new Broken("## Step 2: more", "## Step 3: more", "labs/98-x/README.md:\\d+: \"## Step 3\" should be step 2 \\(steps count 1, 2, 3, ...\\)."),
        new Broken("## Hints", "## Hints to read", "labs/98-x/README.md:\\d+: a heading \"## Hints to read\" is not read as the hints: write it as \"## Hints\"."),
        new Broken("`./jbang workbook@. hint 98`", "`hint`", "labs/98-x/README.md:\\d+: the hints do not say that ./jbang workbook@. hint 98 gives them one at a time .*\\."),
        new Broken("<details><summary>Hint 2: the approach</summary>\n\n2. Keep", "2. Keep",
            "labs/98-x/README.md:\\d+: the hints of \"Step 1\" show text outside <details>, so reading the step shows its answer: .*\\."),
        new Broken("\n</details>\n\n<details><summary>Hint 2: the approach</summary>\n", "\n",
            "labs/98-x/README.md:\\d+: one <details> holds hints 1 and 2: opening the first shows the next; fold each in its own <details>."),
        new Broken("<details><summary>Hint 3: read more</summary>\n\n3.", "<details><summary>Hint 3: read more</summary>\n3.",
            "labs/98-x/README.md:\\d+: the hint \"3. Read more.\" is inside an HTML block, so it is shown as raw text and hint 98 never gives it: leave a blank line after .*\\."),
        new Broken("2. Keep", "Keep", "labs/98-x/README.md:\\d+: the hints of step 1 have no tier 2 \\(a line \"2. ...\"\\)."),
        new Broken("### Step 2\n", "### Step 3\n", "labs/98-x/README.md's hints \\(### Step N under ## Hints\\) miss step\\(s\\) \\[2\\] that the README has."),
        new Broken("## What the tests check", "## What it checks", "labs/98-x/README.md has no \"## What the tests check\" section: .*\\."),
        new Broken("\n</details>\n\n### Step 2", "\n### Step 2", "labs/98-x/README.md:\\d+: a <details> of the hints is never closed before \"### Step 2\": add </details>."));
    for (Broken b : cases) {
      String good = readme("");
      assertThat(good).as("the break's text (update this test)").contains(b.from());
      LabReadme r = LabReadme.parse("labs/98-x/README.md", "98", null, good.replaceFirst(Pattern.quote(b.from()), Matcher.quoteReplacement(b.to())));
      List<String> all = new ArrayList<>(r.cardProblems());
      all.addAll(r.problems());
      assertThat(all).as("after changing \"" + b.from().strip() + "\" to \"" + b.to().strip() + "\"").anyMatch(p -> p.matches(b.sentence()));
      assertThat(all).as("one sentence each").allMatch(p -> p.startsWith("labs/98-x/README.md") && p.endsWith(".") && !p.contains("\n"));
    }
  }

  @Test @DisplayName("the catalog: read and written as the same bytes; any layout written back as the repository lays it out; bad JSON refused in a sentence")
  void catalog() throws IOException {
    String text = Files.readString(ROOT.resolve("jbang-catalog.json"));
    Catalog c = Catalog.parse(text);
    assertThat(c.aliases()).containsKeys("workbook", "protos", "lab01", "lab16");
    assertThat(c.aliases().get("lab01").scriptRef()).startsWith("labs/01-");
    assertThat(c.text()).as("the catalog written back").isEqualTo(text);
    String oneLine = text.replaceAll("\\n\\s*", "");
    assertThat(Catalog.parse(oneLine).text()).as("the catalog on one line, written back").isEqualTo(text);
    Map<String, Catalog.Alias> labs = new LinkedHashMap<>();
    labs.put("lab01", new Catalog.Alias("labs/01-x/Demo.java", "Lab 01: \"quoted\" \\ and ✔"));
    Catalog one = Catalog.parse(Catalog.parse(text).withLabs(labs).text());
    assertThat(one.aliases().keySet()).as("other aliases kept first, the labs' replaced").containsExactly("workbook", "protos", "lab01");
    assertThat(one.aliases().get("lab01")).isEqualTo(labs.get("lab01"));
    assertThatThrownBy(() -> Catalog.parse("{\"aliases\": {,}}")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("jbang-catalog.json is not valid JSON (line 1): ").hasMessageEndingWith(".");
  }

  @Test @DisplayName("./jbang names the labs for an unknown alias whatever the catalog's layout")
  void wrapperNamesLabs(@TempDir Path dir) throws Exception {
    Files.copy(ROOT.resolve("jbang"), dir.resolve("jbang"));
    Files.writeString(dir.resolve("jbang-catalog.json"), Files.readString(ROOT.resolve("jbang-catalog.json")).replaceAll("\\n\\s*", ""));
    Process p = new ProcessBuilder("bash", dir.resolve("jbang").toString(), "lab99@.").directory(dir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.exitValue()).as(out).isEqualTo(2);
    assertThat(out).contains("there is no 'lab99' in this workbook: the labs are lab01 lab02 lab03").contains(" lab16 (e.g.");
  }

  // --- helpers ----------------------------------------------------------------------------

  /** A small README with one step of hints replaced by hints (empty: the usual ones). */
  private static String readme(String hint2) {
    String two = hint2.isEmpty() ? """
        <details><summary>Hint 2: the approach</summary>

        2. Keep it simple.

        </details>
        """ : hint2;
    return """
        # Lab 98: Small

        <!-- lab card: the workbook's lists of labs are written from these lines
        concept: a concept
        see: what happens
        demo: Demo.java
        part: REST
        guide: rest.md
        minutes: 5
        slows: nothing
        -->

        A lab.

        ## Step 1: one

        Do one thing.

        ## Step 2: more

        Do more.

        ## What the tests check

        - A rule ("a test").

        ## Hints

        Ask for them one at a time: `./jbang workbook@. hint 98` gives the next one.

        ### Step 1

        <details><summary>Hint 1: a nudge</summary>

        1. A nudge.

        </details>

        %s
        <details><summary>Hint 3: read more</summary>

        3. Read more.

        </details>

        ### Step 2

        <details><summary>Hint 1: a nudge</summary>

        1. Again.

        </details>

        <details><summary>Hint 2: the approach</summary>

        2. The way.

        </details>

        <details><summary>Hint 3: read more</summary>

        3. Where.

        </details>
        """.formatted(two);
  }
}
