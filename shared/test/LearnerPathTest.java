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
import java.util.function.Predicate;
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
 * What a learner's hands do wrong, in a scratch copy of the workbook with a tiny lab 99 whose
 * step 2 takes 8 s (it leaves a file when it starts, so a test can press Ctrl-C in the middle):
 * Ctrl-C in the middle of test or watch keeps the last complete result; compile errors read as
 * javac shows them, cold and warm; a mistyped command gets a suggestion; the list of labs JBang's
 * launcher offers holds labs only; watch runs in test's warm runner (one JVM, so one broker).
 */
@DisplayName("Workbook: the learner's path (Ctrl-C, compile errors, typos)")
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LearnerPathTest {
  public static void main(String[] args) { workbook.test.LabTests.run(LearnerPathTest.class, args); }

  private static final String LAB = "labs/99-self-test";
  private static Path copy;

  record Result(int exit, String out) {}

  @BeforeAll
  static void scratchWorkbook() throws Exception {
    Path root = Path.of(System.getProperty("user.dir"));
    while (!Files.exists(root.resolve("jbang-catalog.json"))) root = root.getParent();
    copy = Scratch.tempDir("path-test");
    Scratch.copyTree(root.resolve("shared/src"), copy.resolve("shared/src"));
    Scratch.copyTree(root.resolve("shared/tool"), copy.resolve("shared/tool"));
    for (String f : List.of("jbang", "jbang-catalog.json")) Files.copy(root.resolve(f), copy.resolve(f));
    Path lab = Files.createDirectories(copy.resolve(LAB));
    Files.writeString(lab.resolve("README.md"), "# Lab 99: Self-test\n\n## Step 1: add\n\n## Step 2: wait\n\n## Hints\n");
    Files.writeString(lab.resolve("Adder.java"), ADDER);
    Files.writeString(lab.resolve("AdderTest.java"), """
        ///usr/bin/env jbang "$0" "$@" ; exit $?
        //JAVA 17+
        //SOURCES Adder.java ../../shared/src/workbook/test/*.java
        import static org.assertj.core.api.Assertions.assertThat;
        import org.junit.jupiter.api.*;

        @DisplayName("Lab 99: Self-test")
        @Timeout(60)
        class AdderTest {
          public static void main(String[] args) { workbook.test.LabTests.run(AdderTest.class, args); }

          @Nested @Tag("step1") @DisplayName("Step 1: add")
          class Step1 {
            @Test @DisplayName("two and two make four")
            void adds() { assertThat(Adder.add(2, 2)).as("TODO 1: add").isEqualTo(4); }
          }

          @Nested @Tag("step2") @DisplayName("Step 2: wait")
          class Step2 {
            @Test @DisplayName("the slow answer comes back")
            void slow() throws Exception { assertThat(Adder.slow()).as("TODO 2: slow").isEqualTo(42); }
          }
        }
        """);
  }

  private static final String ADDER = """
      /** Lab 99's exercise. */
      class Adder {
        static int add(int a, int b) {
          // TODO 1: return the sum.
          return a + b;
        }

        static int slow() throws Exception {
          // TODO 2: a step that takes 8 s, and says when it has started.
          java.nio.file.Files.writeString(java.nio.file.Path.of("slow.started"), "");
          Thread.sleep(8_000);
          return 42;
        }
      }
      """;

  @AfterAll
  static void removeScratch() throws IOException {
    if (copy == null) return;
    try (Stream<Path> files = Files.walk(copy)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  @Order(1)
  @DisplayName("Ctrl-C in the middle of test keeps the last complete result, and says interrupted in one line")
  void interruptedTest() throws Exception {
    Result first = run(copy, "off", "test", "99", "1");
    assertThat(first.out()).as("a green step 1 first").contains("Lab 99 step 1 is green");
    String before = Files.readString(results());

    Result stopped = interruptWhenStarted("off", "test", "99");
    assertInterrupted(stopped, before);
  }

  @Test
  @Order(2)
  @DisplayName("Ctrl-C in the middle of a watch run keeps the last complete result too")
  void interruptedWatch() throws Exception {
    String before = Files.readString(results());
    Result stopped = interruptWhenStarted("off", "watch", "99");
    assertInterrupted(stopped, before);
  }

  @Test
  @Order(3)
  @DisplayName("compile errors read as javac shows them (file, line, source line, caret), the first five, cold and warm")
  void compileErrors() throws Exception {
    Path adder = copy.resolve(LAB + "/Adder.java");
    StringBuilder six = new StringBuilder();
    for (int i = 1; i <= 6; i++) six.append("    String s").append(i).append(" = ").append(i).append(";\n");
    Files.writeString(adder, ADDER.replace("    // TODO 1: return the sum.\n", "    // TODO 1: return the sum.\n" + six));

    Result cold = run(copy, "off", "test", "99", "1");
    assertJavacErrors(cold.out(), "the cold run (through JBang)");
    assertThat(cold.out()).as("the cold run's verdict").contains("It does not compile yet");

    Result warm = watchUntil(out -> out.contains("Not green yet"));
    assertJavacErrors(warm.out(), "the warm run (watch)");
    assertThat(warm.out()).as("the warm run's file names").contains(LAB + "/Adder.java:5: error: incompatible types");
    Files.writeString(adder, ADDER);
  }

  @Test
  @Order(4)
  @DisplayName("a mistyped command gets \"did you mean\"; JBang's list of labs names labs only")
  void typos() throws Exception {
    Result typo = run(copy, "off", "tets", "99");
    assertThat(typo.out()).as("the answer to tets 99").contains("did you mean test? ./jbang workbook@. test 99");
    assertThat(typo.exit()).as("its exit code").isEqualTo(2);
    Result unknown = runRaw(copy, List.of("bash", "jbang", "lab98@."));
    assertThat(unknown.out()).as("the answer to ./jbang lab98@.").contains("lab01", "lab16").doesNotContain("protos");
    assertThat(unknown.exit()).as("its exit code").isEqualTo(2);
  }

  @Test
  @Order(5)
  @DisplayName("watch sends its runs to test's warm runner (one JVM, so one broker), and Ctrl-C there records nothing")
  void watchThroughTheWarmRunner() throws Exception {
    Path port = copy.resolve(".workbook/daemon/port");
    run(copy, "on", "test", "99", "1"); // starts the warm runner in the background
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.exists(port) && System.nanoTime() < deadline) Thread.sleep(200);
    assertThat(port).as("the warm runner's port file").exists();
    long pid = Long.parseLong(Files.readString(port).trim().split("\\s+")[2]);
    try {
      String before = Files.readString(results());
      Result stopped = interruptWhenStarted("on", "watch", "99");
      assertThat(stopped.out()).as("what watch 99 printed").contains("Each run goes to the warm runner, process " + pid)
          .doesNotContain("Getting lab 99 ready to watch...\n(Running each time");
      assertInterrupted(stopped, before, false);
      // The warm runner finishes the run it was given, then takes the next request: by then it has decided.
      assertThat(run(copy, "on", "test", "99", "1").out()).as("a warm run after it").contains("Lab 99 step 1 is green");
      assertThat(Files.readString(results())).as("lab 99's results: the interrupted run's step 2 is not among them")
          .doesNotContain("step2");
    } finally {
      run(copy, "on", "daemon", "stop");
      ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(20, TimeUnit.SECONDS).join());
    }
  }

  // --- helpers ----------------------------------------------------------------------------

  private static Path results() {
    return copy.resolve(".workbook/results/99.tsv");
  }

  private static void assertInterrupted(Result stopped, String before) throws Exception {
    assertInterrupted(stopped, before, true);
  }

  private static void assertInterrupted(Result stopped, String before, boolean listToo) throws Exception {
    assertThat(stopped.out().lines().filter(l -> l.contains("Interrupted: this run of lab 99 is not recorded")).count())
        .as("lines saying the run was interrupted, in:%n%s", stopped.out()).isEqualTo(1);
    assertThat(Files.readString(results())).as("lab 99's results after Ctrl-C").isEqualTo(before);
    try (Stream<Path> files = Files.list(results().getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()).toList()).as("files in .workbook/results").containsExactly("99.tsv");
    }
    if (listToo) assertThat(run(copy, "off", "list").out()).as("list after Ctrl-C").contains("1 passed, 0 failed");
  }

  private static void assertJavacErrors(String out, String what) {
    List<String> lines = out.lines().toList();
    List<Integer> errors = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) if (lines.get(i).matches(".*Adder\\.java:\\d+: error: .*")) errors.add(i);
    assertThat(errors).as("the errors %s shows:%n%s", what, out).hasSize(5);
    for (int i : errors) {
      assertThat(lines.get(i + 1)).as("the source line under an error of %s", what).matches("    String s\\d = \\d;");
      assertThat(lines.get(i + 2)).as("the caret line under it").matches(" {16}\\^");
    }
    assertThat(out).as("%s after the fifth error", what).contains("(only the first 5 of 6 errors are shown");
  }

  /** Starts a command in its own process group, waits for step 2 to start, and presses Ctrl-C (SIGINT to the group). */
  private static Result interruptWhenStarted(String daemon, String... args) throws Exception {
    Path started = copy.resolve("slow.started");
    Files.deleteIfExists(started);
    return background(daemon, out -> Files.exists(started), args);
  }

  private static Result watchUntil(Predicate<String> ready) throws Exception {
    Path log = Files.createTempFile("path-test-", ".log");
    try {
      return background("off", p -> ready.test(Files.readString(log)), log, "watch", "99");
    } finally {
      Files.deleteIfExists(log);
    }
  }

  interface Ready { boolean test(Path out) throws IOException; }

  private static Result background(String daemon, Ready ready, String... args) throws Exception {
    Path log = Files.createTempFile("path-test-", ".log");
    try {
      return background(daemon, ready, log, args);
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static Result background(String daemon, Ready ready, Path log, String... args) throws Exception {
    // As a terminal's Ctrl-C: SIGINT to a process group of its own, with SIGINT's default action
    // (a job started in the background by a script, or under nohup, inherits it ignored).
    List<String> cmd = new ArrayList<>(List.of("setsid", "env", "--default-signal=INT", "bash", "jbang", "workbook@."));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(copy.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("WORKBOOK_DAEMON", daemon);
    Process p = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
      while (!ready.test(log) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(100);
      assertThat(ready.test(log)).as("ready to press Ctrl-C in %s; it printed:%n%s", cmd, Files.readString(log)).isTrue();
      new ProcessBuilder("kill", "-INT", "--", "-" + p.pid()).inheritIO().start().waitFor();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s ended after Ctrl-C", cmd).isTrue();
      return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  private static Result run(Path dir, String daemon, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", "jbang", "workbook@."));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("WORKBOOK_DAEMON", daemon);
    return runRaw(dir, cmd, pb);
  }

  private static Result runRaw(Path dir, List<String> cmd) throws Exception {
    return runRaw(dir, cmd, new ProcessBuilder(cmd));
  }

  private static Result runRaw(Path dir, List<String> cmd, ProcessBuilder pb) throws Exception {
    Path out = Files.createTempFile("path-test-", ".log");
    pb.command(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
    if (!p.waitFor(200, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    String text = Files.readString(out, StandardCharsets.UTF_8);
    Files.delete(out);
    return new Result(p.isAlive() ? -1 : p.exitValue(), text);
  }

}
