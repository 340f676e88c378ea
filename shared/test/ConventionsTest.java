///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Scratch.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The conventions check as a maintainer meets it: in a scratch copy of the workbook's tracked
 * files, each convention is broken once (all at the same time, in different files), and
 * {@code ./jbang workbook@. conventions} must name every broken file in a sentence; with the
 * files put back it must be green again.
 */
@DisplayName("Conventions: each broken convention is named")
@Timeout(240)
class ConventionsTest {
  public static void main(String[] args) { workbook.test.LabTests.run(ConventionsTest.class, args); }


  private static Path copy;
  /** Each break: its file, the text before and after, and what the report must then say. */
  private record Break(String file, String from, String to, String reported) {}

  private static final List<Break> BREAKS = List.of(
      new Break("labs/01-rest-round-trips/README.md", "## Step 2: a composite endpoint", "## Step 3: a composite endpoint",
          "labs/01-rest-round-trips/README.md:"),
      new Break("labs/02-http-caching/README.md", "\n2. Hash the body's UTF-8 bytes", "\nHash the body's UTF-8 bytes",
          "labs/02-http-caching/README.md:"),
      new Break("labs/03-rest-versioning/CatalogApi.java", "// TODO 1: serve GET", "// TODO 7: serve GET",
          "labs/03-rest-versioning/CatalogApi.java:"),
      new Break("labs/08-events-fan-out/README.md", "\n## Step 1", "\nThis is fact E99.\n\n## Step 1",
          "labs/08-events-fan-out/README.md:"),
      new Break("docs/instructor-guide.md", "| 09 Partition ordering |", "| Partition ordering |",
          "docs/instructor-guide.md's list of labs"),
      new Break("shared/src/workbook/net/Ports.java", "", "//DEPS org.slf4j:slf4j-api:2.0.17\n",
          "shared/src/workbook/net/Ports.java:1"),
      new Break("labs/11-idempotent-consumer/Inventory.java", "SQLSTATE of a unique", "SQLSTATE of any unique",
          "labs/11-idempotent-consumer/Inventory.java:"),
      new Break("labs/04-grpc-unary/CheckStockTest.java", "@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)",
          "@Timeout(30)", "labs/04-grpc-unary/CheckStockTest.java:"),
      // A rule that names no test, and one that grew past a line (RULE_WORDS), in "## What the tests check".
      new Break("labs/15-choosing-a-pattern/README.md", " (\"what one style gains against another is exactly what the other loses\", "
          + "\"no style beats another on every row: every choice has a price\").", ".", "labs/15-choosing-a-pattern/README.md:"),
      new Break("labs/13-fan-out-trap/README.md", "- Checkout waits for inventory and payment, one after the other,",
          "- Checkout waits for inventory and payment," + " and then again".repeat(40) + ", one after the other,",
          "labs/13-fan-out-trap/README.md:"));

  private static final Map<String, String> originals = new LinkedHashMap<>();

  @BeforeAll
  static void scratchCopy() throws Exception {
    Path root = Scratch.root();
    copy = Scratch.tracked(root, "conventions-test-");
  }

  @AfterAll
  static void removeCopy() throws IOException {
    Scratch.delete(copy);
  }

  @Test @Order(1) @DisplayName("the workbook as committed keeps every convention")
  void cleanToBegin() {
    Scratch.Ran r = conventions();
    assertThat(r.exit()).as("conventions on the committed files:\n" + r.out()).isZero();
  }

  @Test @Order(2) @DisplayName("each convention broken once is reported in a sentence naming its file; put back, all is green")
  void eachBreakIsNamed() throws IOException {
    for (Break b : BREAKS) {
      Path p = copy.resolve(b.file());
      String text = Files.readString(p);
      originals.putIfAbsent(b.file(), text);
      assertThat(text).as("the break of " + b.file() + " finds its text (update this test if the file changed)").contains(b.from());
      Files.writeString(p, b.from().isEmpty() ? b.to() + text : text.replaceFirst(java.util.regex.Pattern.quote(b.from()),
          java.util.regex.Matcher.quoteReplacement(b.to())));
    }
    Scratch.Ran broken = conventions();
    assertThat(broken.exit()).as("conventions with every break:\n" + broken.out()).isEqualTo(1);
    for (Break b : BREAKS) {
      assertThat(broken.out().lines().filter(l -> l.contains(b.reported()) && l.endsWith(".")))
          .as("a sentence naming " + b.reported() + " after changing \"" + b.from().strip() + "\" to \""
              + b.to().strip() + "\", in:\n" + broken.out())
          .isNotEmpty();
    }
    for (Map.Entry<String, String> o : originals.entrySet()) Files.writeString(copy.resolve(o.getKey()), o.getValue());
    Scratch.Ran again = conventions();
    assertThat(again.exit()).as("conventions with every file put back:\n" + again.out()).isZero();
    assertThat(again.out()).contains("Every convention is kept.");
  }

  /** ./jbang workbook@. conventions in the scratch copy, as a maintainer types it (bounded: 180 s). */
  private static Scratch.Ran conventions() {
    return Scratch.run(copy, Map.of(), 180, List.of("bash", copy.resolve("jbang").toString(), "workbook@.", "conventions"));
  }
}
