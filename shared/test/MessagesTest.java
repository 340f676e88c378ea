///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Scratch.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * The message report, in a scratch copy of the workbook with a tiny lab 99 of its own whose
 * step 2 starts with a bare AssertJ check (no step named): verify records the first message of
 * the starter at each step and of each mistake, fails the lab for the ones that do not name
 * their step, and {@code messages 99} prints them side by side, marked, from that record alone.
 */
@DisplayName("Messages: the first message of every step and mistake, side by side, each naming its step")
@Timeout(value = 600, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MessagesTest {
  public static void main(String[] args) { workbook.test.LabTests.run(MessagesTest.class, args); }

  private static final String LAB = "labs/99-self-test";
  private static final String SOLUTION = "solutions/99-self-test";
  private static Path copy;

  record Result(int exit, String out) {}

  private static final String STARTER = """
      ///usr/bin/env jbang "$0" "$@" ; exit $?
      //JAVA 17+

      /** Lab 99's exercise. */
      public class Adder {
        public static void main(String[] args) { System.out.println("the demo of lab 99"); }

        static int add(int a, int b) {
          // TODO 1: return the sum.
          throw new UnsupportedOperationException("TODO 1: return the sum");
        }

        static String greet(String name) {
          // TODO 2: greet by name.
          return null;
        }
      }
      """;

  /** Each mistake: its name, step, and the line of the solution it changes. */
  private static final List<String[]> MISTAKES = List.of(
      new String[] {"subtracts", "1", "return a + b;", "return a - b;"},
      new String[] {"one-too-many", "1", "return a + b;", "return a + b + 1;"},
      new String[] {"first-only", "1", "return a + b;", "return a;"},
      new String[] {"always-four", "1", "return a + b;", "return 4;"},
      new String[] {"greets-nobody", "2", "return \"Hello, \" + name;", "return null;"},
      new String[] {"no-comma", "2", "return \"Hello, \" + name;", "return \"Hello \" + name;"},
      new String[] {"lower-case", "2", "return \"Hello, \" + name;", "return \"hello, \" + name;"},
      new String[] {"no-name", "2", "return \"Hello, \" + name;", "return \"Hello, \";"});

  @BeforeAll
  static void scratchWorkbook() throws Exception {
    Path root = Path.of(System.getProperty("user.dir"));
    while (!Files.exists(root.resolve("jbang-catalog.json"))) root = root.getParent();
    copy = Scratch.tempDir("messages-test");
    Scratch.copyTree(root.resolve("shared/src"), copy.resolve("shared/src"));
    Scratch.copyTree(root.resolve("shared/tool"), copy.resolve("shared/tool"));
    Files.copy(root.resolve("jbang"), copy.resolve("jbang"));
    Files.writeString(copy.resolve("jbang-catalog.json"), """
        { "aliases": {
            "workbook": { "script-ref": "shared/tool/Workbook.java" },
            "lab99": { "script-ref": "labs/99-self-test/Adder.java", "description": "Lab 99: Self-test" }
        } }
        """);
    Path lab = Files.createDirectories(copy.resolve(LAB));
    Files.writeString(lab.resolve("README.md"), "# Lab 99: Self-test\n\n## Step 1: add\n\n## Step 2: greet\n\n## Hints\n");
    Files.writeString(lab.resolve("Adder.java"), STARTER);
    Files.writeString(lab.resolve("AdderTest.java"), """
        ///usr/bin/env jbang "$0" "$@" ; exit $?
        //JAVA 17+
        //SOURCES Adder.java ../../shared/src/workbook/test/*.java
        import static org.assertj.core.api.Assertions.assertThat;
        import org.junit.jupiter.api.*;

        @DisplayName("Lab 99: Self-test")
        @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
        class AdderTest {
          public static void main(String[] args) { workbook.test.LabTests.run(AdderTest.class, args); }

          @Nested @Tag("step1") @DisplayName("Step 1: add")
          class Step1 {
            @Test @DisplayName("two and two make four")
            void adds() { assertThat(Adder.add(2, 2)).as("TODO 1: two and two").isEqualTo(4); }

            @Test @DisplayName("one and two make three")
            void addsOthers() { assertThat(Adder.add(1, 2)).as("TODO 1: one and two").isEqualTo(3); }
          }

          @Nested @Tag("step2") @DisplayName("Step 2: greet")
          class Step2 {
            @Test @Order(1) @DisplayName("there is a greeting")
            void some() { assertThat(Adder.greet("Ann")).isNotNull(); }

            @Test @Order(2) @DisplayName("the greeting says hello and the name")
            void greets() { assertThat(Adder.greet("Ann")).as("TODO 2: the greeting").isEqualTo("Hello, Ann"); }
          }
        }
        """);
    Path solution = Files.createDirectories(copy.resolve(SOLUTION + "/mistakes"));
    String solved = STARTER
        .replace("    // TODO 1: return the sum.\n    throw new UnsupportedOperationException(\"TODO 1: return the sum\");",
            "    // the sum, nothing else\n    return a + b;")
        .replace("    // TODO 2: greet by name.\n    return null;", "    // hello and the name\n    return \"Hello, \" + name;");
    assertThat(solved).as("the solution of lab 99").contains("return a + b;", "return \"Hello, \" + name;");
    Files.writeString(solution.getParent().resolve("Adder.java"), solved);
    for (String[] m : MISTAKES) {
      Files.writeString(solution.resolve(m[0] + ".patch"), "step " + m[1] + ": " + m[0] + "\n" + patch(solved, m[2], m[3]));
    }
    git("init", "-q");
    git("add", "-A");
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "scratch");
  }

  @AfterAll
  static void removeScratch() throws IOException {
    if (copy == null) return;
    workbook("daemon", "stop");
    try (Stream<Path> files = Files.walk(copy)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test @Order(1) @DisplayName("messages before any verify says how to record them")
  void nothingRecorded() {
    Result r = workbook("messages", "99");
    assertThat(r.out()).as("messages 99 before verify").contains("No messages recorded yet for lab(s) 99", "verify 99");
    assertThat(r.exit()).as("its exit code").isEqualTo(1);
  }

  @Test @Order(2) @DisplayName("verify fails the lab for each first message that does not name its step, and says which")
  void verifyRecordsAndChecks() {
    Result r = workbook("verify", "99");
    assertThat(r.out()).as("verify 99")
        .contains("8 of 8 mistakes caught at their own step")
        .contains("2 of 10 first messages do not name their step")
        .contains("step 2 (starter): Expecting actual not to be null")
        .contains("step 2 greets-nobody: Expecting actual not to be null")
        .contains("First messages: 10 recorded in .workbook/messages/, 2 do not name their step");
    assertThat(r.exit()).as("verify 99's exit code").isEqualTo(1);
    assertThat(copy.resolve(".workbook/messages/99.tsv")).as("the record verify leaves").exists();
  }

  @Test @Order(3) @DisplayName("messages 99 prints every first message by step, from the record, ✘ where no step is named")
  void report() throws Exception {
    Result r = workbook("messages", "99");
    List<String> lines = r.out().lines().toList();
    assertThat(r.out()).as("messages 99").contains("Lab 99: Self-test", "  step 1", "  step 2")
        .contains("10 first messages, 2 do not name their step").doesNotContain("Verifying");
    assertThat(lines.stream().filter(l -> l.contains("✘")))
        .as("the lines marked ✘ in:\n" + r.out()).hasSize(2)
        .allMatch(l -> l.contains("Expecting actual not to be null") && l.contains("does not name step 2"));
    assertThat(lines.stream().filter(l -> l.contains("✔"))).as("the lines marked ✔").hasSize(8)
        .anyMatch(l -> l.contains("(starter)") && l.contains("TODO 1: return the sum"))
        .anyMatch(l -> l.contains("no-comma") && l.contains("TODO 2: the greeting"));
    assertThat(r.exit()).as("messages' exit code with unnamed ones").isEqualTo(1);
    // Once every first message names its step, the report is clean and exits 0.
    Path test = copy.resolve(LAB + "/AdderTest.java");
    Files.writeString(test, Files.readString(test).replace("assertThat(Adder.greet(\"Ann\")).isNotNull()",
        "assertThat(Adder.greet(\"Ann\")).as(\"TODO 2: a greeting\").isNotNull()"));
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "step 2's first test names its step"); // verify checks what is committed
    Result fixed = workbook("messages", "99", "--run");
    assertThat(fixed.out()).as("messages 99 --run after the test names its step")
        .contains("Verifying lab(s) 99 first", "10 first messages, 0 do not name their step.");
    assertThat(fixed.exit()).as("its exit code").isZero();
  }

  @Test @Order(4) @DisplayName("verify runs first the test that caught each mistake last time (a README edited since too), and the whole step when it no longer does")
  void catchersFirst() throws Exception {
    // Test 3's verify (messages --run) recorded, for each mistake, the step's first failing test, which named its TODO.
    Path known = copy.resolve(".workbook/verify-catchers.tsv");
    List<String> lines = Files.readAllLines(known);
    assertThat(lines).as("the catches verify remembers").hasSize(8)
        .anyMatch(l -> l.startsWith("99\tgreets-nobody\t") && l.endsWith("\tAdderTest$Step2#some"))
        .anyMatch(l -> l.startsWith("99\tsubtracts\t") && l.endsWith("\tAdderTest$Step1#adds"));
    // A README edited since (no test reads it) keeps every record.
    Path readme = copy.resolve(LAB + "/README.md");
    Files.writeString(readme, Files.readString(readme) + "\nA line a learner asked for.\n");
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "a README line");
    Result again = workbook("verify", "99");
    String log = Files.readString(copy.resolve(".workbook/verify-logs/99.log"));
    assertThat(again.out()).as("verify 99 again").contains("8 of 8 mistakes caught at their own step", "1 passed, 0 failed");
    assertThat(log.split("=== first the test that caught it last time", -1)).as("mistakes tried with their last catcher first in:\n" + log).hasSize(9);
    assertThat(log).as("the log of verify 99 again").doesNotContain("no longer catches it");
    // A catcher that is gone (or passes now): the whole step runs, and still catches every mistake.
    Files.write(known, lines.stream().map(l -> l.replaceFirst("\t[^\t]+$", "\tAdderTest\\$Step2#gone")).toList());
    Result stale = workbook("verify", "99");
    String staleLog = Files.readString(copy.resolve(".workbook/verify-logs/99.log"));
    assertThat(stale.out()).as("verify 99 with stale catchers").contains("8 of 8 mistakes caught at their own step", "1 passed, 0 failed");
    assertThat(staleLog.split("no longer catches it", -1)).as("mistakes whose whole step ran in:\n" + staleLog).hasSize(9);
    assertThat(Files.readAllLines(known)).as("the catches remembered after it").hasSize(8).noneMatch(l -> l.endsWith("#gone"));
  }

  // --- helpers ----------------------------------------------------------------------------

  /** A unified diff of one changed line, as verify's catalogue keeps it (paths relative to the lab). */
  private static String patch(String text, String from, String to) {
    List<String> lines = text.lines().toList();
    int at = -1;
    for (int i = 0; i < lines.size(); i++) if (lines.get(i).strip().equals(from)) at = i;
    assertThat(at).as("the line \"" + from + "\" in the solution").isNotNegative();
    String indent = lines.get(at).substring(0, lines.get(at).indexOf(from));
    return "--- a/Adder.java\n+++ b/Adder.java\n@@ -" + at + ",3 +" + at + ",3 @@\n " + lines.get(at - 1) + "\n-" + lines.get(at)
        + "\n+" + indent + to + "\n " + lines.get(at + 1) + "\n";
  }

  /** ./jbang workbook@. ARGS in the scratch copy, as typed, with no warm runner (bounded: 500 s). */
  private static Result workbook(String... args) {
    try {
      Path log = Files.createTempFile("messages-test-", ".log");
      try {
        List<String> cmd = new ArrayList<>(List.of("bash", copy.resolve("jbang").toString(), "workbook@."));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(copy.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("WORKBOOK_DAEMON", "off");
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(500, TimeUnit.SECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          return new Result(-1, "(stopped after 500 s)\n" + Files.readString(log));
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(log);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void git(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(copy.toFile()).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).as("git %s", String.join(" ", args)).isZero();
  }

}
