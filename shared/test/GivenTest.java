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
 * Given code written once, as a maintainer meets it: in a scratch copy of the workbook (a git
 * repository of its own), lab 15's solution is edited once outside its TODO regions and once
 * inside one; {@code sync 15} must carry the first edit into the starter and leave the TODO
 * region alone, and {@code mistakes rebase 15} must re-make the patches so that each one it did
 * not list applies to the edited solution.
 */
@DisplayName("Given code written once: sync and mistakes rebase")
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GivenTest {
  public static void main(String[] args) { workbook.test.LabTests.run(GivenTest.class, args); }


  private static final String LAB = "labs/15-choosing-a-pattern";
  private static final String SOLUTION = "solutions/15-choosing-a-pattern";
  private static final String OUTSIDE = "The decision tree of docs/choosing.md as code.";
  private static final String INSIDE = "// Reach before speed: ";
  private static Path copy;

  @BeforeAll
  static void scratchRepository() throws Exception {
    copy = Scratch.tracked(Scratch.root(), "given-test-");
    for (List<String> git : List.of(List.of("init", "-q"), List.of("add", "-A"),
        List.of("-c", "user.name=test", "-c", "user.email=test@example.org", "commit", "-q", "-m", "as shipped"))) {
      List<String> cmd = new ArrayList<>(List.of("git"));
      cmd.addAll(git);
      assertThat(run(cmd).exit()).as("git " + git).isZero();
    }
    Path solution = copy.resolve(SOLUTION + "/DecisionTree.java");
    String text = Files.readString(solution);
    assertThat(text).as("lab 15's solution, where this test edits it (update the test if it changed)").contains(OUTSIDE, INSIDE);
    Files.writeString(solution, text.replace(OUTSIDE, "The decision tree of docs/choosing.md, as code written once.")
        .replace(INSIDE, "// Reach before speed, always: "));
  }

  @AfterAll
  static void removeScratch() throws IOException {
    Scratch.delete(copy);
  }

  @Test
  @Order(1)
  @DisplayName("sync writes the solution's given code into the starter, never into a TODO region")
  void sync() throws Exception {
    Scratch.Ran r = workbook("sync", "15");
    assertThat(r.exit()).as("exit code of sync 15; it printed:%n%s", r.out()).isZero();
    assertThat(r.out()).as("what sync 15 printed").contains(LAB + "/DecisionTree.java: given code written from the solution");
    String starter = Files.readString(copy.resolve(LAB + "/DecisionTree.java"));
    assertThat(starter).as("the starter after sync 15").contains("as code written once.").doesNotContain("always:");
    Scratch.Ran conventions = workbook("conventions");
    assertThat(conventions.exit()).as("conventions after sync 15; it printed:%n%s", conventions.out()).isZero();
    Scratch.Ran again = workbook("sync", "15");
    assertThat(again.out()).as("sync 15 a second time").contains("the starter's given code is the solution's already");
  }

  @Test
  @Order(2)
  @DisplayName("mistakes rebase re-makes the patches on the edited solution: each one not listed applies to it")
  void rebase() throws Exception {
    Scratch.Ran r = workbook("mistakes", "rebase", "15");
    assertThat(r.out()).as("what mistakes rebase 15 printed").containsPattern("re-made on today's solution");
    List<String> listed = r.out().lines().filter(l -> l.startsWith("  ")).map(l -> l.strip().split(":")[0]).toList();
    assertThat(r.exit()).as("exit code of mistakes rebase 15 (1 when it lists patches to redo by hand); it printed:%n%s", r.out())
        .isEqualTo(listed.isEmpty() ? 0 : 1);
    assertThat(r.out()).as("what mistakes rebase 15 printed").doesNotContain(" 0 re-made");
    Path lab = Files.createDirectories(copy.resolve("scratch/lab"));
    List<String> refused = new ArrayList<>();
    try (Stream<Path> patches = Files.list(copy.resolve(SOLUTION + "/mistakes"))) {
      for (Path patch : patches.sorted().toList()) {
        String name = patch.getFileName().toString().replaceFirst("\\.patch$", "");
        if (listed.contains(name)) continue;
        for (Path dir : List.of(copy.resolve(LAB), copy.resolve(SOLUTION))) {
          try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
              Files.copy(f, lab.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
          }
        }
        ProcessBuilder apply = new ProcessBuilder("git", "apply", "--check", patch.toString()).directory(lab.toFile())
            .redirectErrorStream(true);
        apply.environment().put("GIT_CEILING_DIRECTORIES", lab.getParent().toString());
        Process p = apply.start();
        String said = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) refused.add(name + ": " + said.strip());
      }
    }
    assertThat(refused).as("patches mistakes rebase did not list that do not apply to the edited solution").isEmpty();
    Scratch.Ran again = workbook("mistakes", "rebase", "15", "--from", "HEAD");
    assertThat(again.out()).as("mistakes rebase 15 a second time, from the same revision: every patch it re-made now"
        + " counts as unchanged, or is listed again").contains(" 0 re-made");
  }

  private static Scratch.Ran workbook(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", copy.resolve("jbang").toString(), "workbook@."));
    cmd.addAll(List.of(args));
    return run(cmd);
  }

  /** A command in the scratch copy, bounded (180 s), its output and error together. */
  private static Scratch.Ran run(List<String> cmd) {
    return Scratch.run(copy, Map.of(), 180, cmd);
  }
}
