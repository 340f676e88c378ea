///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Scratch.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Hints that wait to be asked, in a scratch copy of the workbook's tracked files: every lab
 * README folds each hint tier in a {@code <details>} of its own, {@code hint NN} still gives
 * them one at a time, and {@code conventions} names a README whose hints show unasked.
 */
@DisplayName("Hints: folded in the README, given one at a time")
@Timeout(value = 400, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HintsTest {
  public static void main(String[] args) { workbook.test.LabTests.run(HintsTest.class, args); }


  private static final Pattern TIER = Pattern.compile("^(\\d+)\\. (.*)$");
  private static Path root;
  private static Path copy;

  @BeforeAll
  static void scratchCopy() throws Exception {
    root = Scratch.root();
    copy = Scratch.tracked(root, "hints-test-");
  }

  @AfterAll
  static void removeCopy() throws IOException {
    Scratch.delete(copy);
  }

  @Test @Order(1) @DisplayName("no lab README shows a hint tier outside a <details> of its own, and each says how to ask")
  void everyReadmeFolds() throws IOException {
    List<Path> readmes;
    try (Stream<Path> labs = Files.list(root.resolve("labs"))) {
      readmes = labs.map(d -> d.resolve("README.md")).filter(Files::exists).sorted().toList();
    }
    assertThat(readmes).as("the labs' READMEs").hasSizeGreaterThanOrEqualTo(16);
    for (Path readme : readmes) {
      String number = readme.getParent().getFileName().toString().substring(0, 2);
      List<String> hints = section(Files.readAllLines(readme), "## Hints");
      assertThat(String.join("\n", hints)).as(readme + ": the hints say how to ask for them").contains("workbook@. hint " + number);
      boolean open = false;
      int tiers = 0;
      for (String l : hints) {
        if (l.strip().startsWith("<details")) open = true;
        else if (l.strip().startsWith("</details>")) open = false;
        else if (TIER.matcher(l).matches()) {
          tiers++;
          assertThat(open).as(readme + ": the hint \"" + l + "\" is folded in a <details>").isTrue();
        }
      }
      assertThat(tiers).as(readme + ": hint tiers found").isGreaterThanOrEqualTo(3);
    }
  }

  @Test @Order(2) @DisplayName("hint NN gives the folded tiers of step 1 one at a time, as written, then stays on the last")
  void tierByTier() throws IOException {
    List<String> expected = tiers(Files.readAllLines(copy.resolve("labs/09-partition-ordering/README.md")), 1);
    assertThat(expected).as("lab 09's step 1 hints, read by this test").hasSize(3);
    for (int i = 0; i < 4; i++) {
      Scratch.Ran r = workbook("hint", "09");
      int tier = Math.min(i, 2);
      assertThat(r.out()).as("hint 09, ask " + (i + 1))
          .contains("Lab 09, step 1, hint " + (tier + 1) + " of 3:")
          .contains(expected.get(tier))
          .doesNotContain("<details>").doesNotContain("<summary>").doesNotContain("</details>");
      assertThat(r.exit()).as("exit code of hint 09").isZero();
    }
  }

  @Test @Order(3) @DisplayName("conventions names a README whose hint shows unasked, shares a fold, or never says how to ask")
  void conventionsNamesUnfoldedHints() throws IOException {
    Scratch.Ran clean = workbook("conventions");
    assertThat(clean.exit()).as("conventions on the committed files:\n" + clean.out()).isZero();
    Path lab05 = copy.resolve("labs/05-grpc-streaming/README.md");
    Path lab09 = copy.resolve("labs/09-partition-ordering/README.md");
    Path lab13 = copy.resolve("labs/13-fan-out-trap/README.md");
    String t05 = Files.readString(lab05);
    String t09 = Files.readString(lab09);
    String t13 = Files.readString(lab13);
    // 05: the second tier of step 1 (code) comes out of its fold.
    Files.writeString(lab05, replaceFirst(t05, "<details><summary>Hint 2: the approach</summary>\n\n2. `StockLevels", "2. `StockLevels"));
    // 09: the sentence on how to ask is gone.
    Files.writeString(lab09, replaceFirst(t09, "Ask for them one at a time: `./jbang workbook@. hint 09`", "Ask for them one at a time: `hint`"));
    // 13: tiers 1 and 2 of step 1 share one fold.
    Files.writeString(lab13, replaceFirst(t13, "\n</details>\n\n<details><summary>Hint 2: the approach</summary>\n", "\n"));
    Scratch.Ran broken = workbook("conventions");
    assertThat(broken.exit()).as("conventions with three READMEs broken:\n" + broken.out()).isEqualTo(1);
    assertThat(broken.out()).as("the sentences of conventions")
        .containsPattern("labs/05-grpc-streaming/README.md:\\d+: the hints of \"Step 1\" show code outside <details>")
        .containsPattern("labs/09-partition-ordering/README.md:\\d+: the hints do not say that ./jbang workbook@. hint 09 gives them")
        .containsPattern("labs/13-fan-out-trap/README.md:\\d+: one <details> holds hints 1 and 2");
    Files.writeString(lab05, t05);
    Files.writeString(lab09, t09);
    Files.writeString(lab13, t13);
    assertThat(workbook("conventions").exit()).as("conventions with the READMEs put back").isZero();
  }

  // --- helpers ----------------------------------------------------------------------------

  private static String replaceFirst(String text, String from, String to) {
    assertThat(text).as("the text this test changes (update the test if the README changed)").contains(from);
    return text.replaceFirst(Pattern.quote(from), Matcher.quoteReplacement(to));
  }

  private static List<String> section(List<String> lines, String heading) {
    List<String> out = new ArrayList<>();
    boolean in = false;
    for (String l : lines) {
      if (l.startsWith("## ")) in = l.strip().equals(heading);
      else if (in) out.add(l);
    }
    return out;
  }

  /** Step n's tiers as the README writes them, continuation lines joined. */
  private static List<String> tiers(List<String> lines, int n) {
    List<String> out = new ArrayList<>();
    boolean in = false;
    for (String l : section(lines, "## Hints")) {
      if (l.startsWith("### ")) { in = l.strip().equals("### Step " + n); continue; }
      if (!in || l.strip().startsWith("<") || l.isBlank()) continue;
      Matcher m = TIER.matcher(l);
      if (m.matches()) out.add(m.group(2).strip());
      else if (!out.isEmpty()) out.set(out.size() - 1, out.get(out.size() - 1) + " " + l.strip());
    }
    return out;
  }

  /** ./jbang workbook@. ARGS in the scratch copy, as typed, with no warm runner (bounded: 180 s). */
  private static Scratch.Ran workbook(String... args) {
    List<String> cmd = new ArrayList<>(List.of("bash", copy.resolve("jbang").toString(), "workbook@."));
    cmd.addAll(List.of(args));
    return Scratch.run(copy, Map.of(), 180, cmd);
  }
}
