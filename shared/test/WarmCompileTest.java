///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Scratch.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warm runner compiles only what an edit needs, and never runs a stale constant. The compiler
 * copies a constant's value into every file that names it (lab 03's contract is one: a text block
 * served by another file), so a new value is compiled into those files, and into the files naming
 * a constant made from it, and into no other: not the lab's test, which mentions the names only in
 * a comment and a string. In a scratch workbook with a lab 98 of four files, through the tool's
 * warm runner as a learner's saves reach it.
 */
@DisplayName("Workbook: the warm runner compiles what an edit needs, and no stale constant runs")
@Timeout(300)
class WarmCompileTest {
  public static void main(String[] args) { workbook.test.LabTests.run(WarmCompileTest.class, args); }

  private static final String LAB = "labs/98-constants";
  private static Path copy;

  @BeforeAll
  static void scratchWorkbook() throws Exception {
    Path root = Scratch.root();
    copy = Scratch.tempDir("warm-compile-test");
    for (String dir : List.of("shared/src", "shared/tool")) Scratch.copyTree(root.resolve(dir), copy.resolve(dir));
    for (String f : List.of("jbang", "jbang-catalog.json")) Files.copy(root.resolve(f), copy.resolve(f));
    Path lab = Files.createDirectories(copy.resolve(LAB));
    Files.writeString(lab.resolve("README.md"), "# Lab 98: Constants\n\n## Step 1: greet\n\n## Hints\n");
    Files.writeString(lab.resolve("Words.java"), "final class Words {\n  static final String WORD = \"hello\";\n}\n");
    Files.writeString(lab.resolve("Phrases.java"), "final class Phrases {\n  static final String PHRASE = Words.WORD + \", world\";\n}\n");
    Files.writeString(lab.resolve("Greeter.java"), """
        /** Lab 98's exercise. */
        class Greeter {
          static String greet() {
            // TODO 1: the phrase, with a bang.
            return Phrases.PHRASE + "!";
          }
        }
        """);
    Files.writeString(lab.resolve("GreeterTest.java"), """
        ///usr/bin/env jbang "$0" "$@" ; exit $?
        //JAVA 17+
        //SOURCES Greeter.java Phrases.java Words.java ../../shared/src/workbook/test/*.java
        import static org.assertj.core.api.Assertions.assertThat;
        import java.nio.file.*;
        import org.junit.jupiter.api.*;

        @DisplayName("Lab 98: Constants")
        class GreeterTest {
          public static void main(String[] args) { workbook.test.LabTests.run(GreeterTest.class, args); }

          @Nested @Tag("step1") @DisplayName("Step 1: greet")
          class Step1 {
            // Only a comment and a string here mention WORD and PHRASE: this file holds neither constant.
            @Test @DisplayName("the greeting is the word of Words.java, with its world and a bang (not a stale WORD)")
            void greets() throws Exception {
              Path here = Path.of("Words.java");
              String source = Files.readString(Files.exists(here) ? here : Path.of("labs/98-constants/Words.java"));
              String word = source.substring(source.indexOf('"') + 1, source.lastIndexOf('"'));
              assertThat(Greeter.greet()).as("TODO 1: the greeting").isEqualTo(word + ", world!");
            }
          }
        }
        """);
    Scratch.run(copy, Map.of(), 60, List.of("git", "init", "-q"));
  }

  @AfterAll
  static void removeScratch() throws Exception {
    if (copy == null) return;
    warm("daemon", "stop");
    Scratch.delete(copy);
  }

  @Test
  @DisplayName("a constant's new value is compiled into the files that name it, in a chain, and the test's file is not compiled again")
  void constantsReachTheFilesThatNameThem() throws Exception {
    Scratch.Ran first = warm("test", "98");
    assertThat(first.out()).as("the first run (through JBang, starting the warm runner)").contains("Lab 98 is green");
    Path port = copy.resolve(".workbook/daemon/port");
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (!Files.exists(port) && System.nanoTime() < deadline) Thread.sleep(200);
    assertThat(port).as("the warm runner's port file").exists();
    Scratch.Ran warm = warm("test", "98");
    assertThat(warm.out()).as("the first warm run").contains("Lab 98 is green");

    Path words = copy.resolve(LAB + "/Words.java");
    Files.writeString(words, Files.readString(words).replace("\"hello\"", "\"hullo\""));
    Scratch.Ran renewed = warm("test", "98");
    assertThat(renewed.out()).as("a warm run after WORD changed (Phrases names WORD, Greeter names PHRASE made from it)")
        .contains("Lab 98 is green", "compiled 3 of 4 files");

    Path greeter = copy.resolve(LAB + "/Greeter.java");
    Files.writeString(greeter, Files.readString(greeter).replace("\"!\"", "\"?\""));
    Scratch.Ran edited = warm("test", "98");
    assertThat(edited.out()).as("a warm run after an edit of Greeter alone, which is wrong now")
        .contains("0 passed, 1 failed", "compiled 1 of 4 files");
  }

  /** A command through the tool, with the warm runner, each run printing what it compiled. */
  private static Scratch.Ran warm(String... args) {
    List<String> cmd = new java.util.ArrayList<>(List.of("bash", "jbang", "workbook@."));
    cmd.addAll(List.of(args));
    return Scratch.run(copy, Map.of("WORKBOOK_DAEMON", "on", "WORKBOOK_DAEMON_IDLE", "120",
        "JAVA_TOOL_OPTIONS", "-Dworkbook.timing=true"), 200, cmd);
  }
}
