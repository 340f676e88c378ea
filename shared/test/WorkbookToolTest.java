///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../src/workbook/test/*.java

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
 * The workbook tool as a learner meets it, in a scratch copy of the workbook with a tiny lab 99
 * of its own (one step that a learner finishes, one whose code hangs in a way that ignores
 * interrupts): every command runs through ./jbang, exactly as typed in a terminal.
 */
@DisplayName("Workbook: the tool's loop")
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkbookToolTest {
  public static void main(String[] args) { workbook.test.LabTests.run(WorkbookToolTest.class, args); }

  private static final String LAB = "labs/99-self-test";
  private static Path copy;

  record Result(int exit, String out, double seconds) {}

  @BeforeAll
  static void scratchWorkbook() throws Exception {
    Path root = Path.of(System.getProperty("user.dir"));
    while (!Files.exists(root.resolve("jbang-catalog.json"))) root = root.getParent();
    copy = Files.createTempDirectory("workbook-tool-test-");
    copyTree(root.resolve("shared/src"), copy.resolve("shared/src"));
    copyTree(root.resolve("shared/tool"), copy.resolve("shared/tool"));
    for (String f : List.of("jbang", "jbang-catalog.json")) Files.copy(root.resolve(f), copy.resolve(f));
    Path lab = Files.createDirectories(copy.resolve(LAB));
    Files.writeString(lab.resolve("README.md"), "# Lab 99: Self-test\n\n## Step 1: add\n\n## Step 2: wait\n\n## Hints\n");
    Files.writeString(lab.resolve("Adder.java"), """
        /** Lab 99's exercise. */
        class Adder {
          static int add(int a, int b) {
            // TODO 1: return the sum.
            throw new UnsupportedOperationException("TODO 1: return the sum");
          }

          static int answer() {
            // TODO 2: return 42 (the starter waits forever, ignoring interrupts).
            new java.util.concurrent.CompletableFuture<Void>().join();
            return 0;
          }
        }
        """);
    Files.writeString(lab.resolve("AdderTest.java"), """
        ///usr/bin/env jbang "$0" "$@" ; exit $?
        //JAVA 17+
        //SOURCES Adder.java ../../shared/src/workbook/test/*.java
        import static org.assertj.core.api.Assertions.assertThat;
        import org.junit.jupiter.api.*;

        @DisplayName("Lab 99: Self-test")
        @Timeout(3)
        class AdderTest {
          public static void main(String[] args) { workbook.test.LabTests.run(AdderTest.class, args); }

          @Nested @Tag("step1") @DisplayName("Step 1: add")
          class Step1 {
            @Test @DisplayName("two and two make four")
            void adds() { assertThat(Adder.add(2, 2)).as("TODO 1: add").isEqualTo(4); }
          }

          @Nested @Tag("step2") @DisplayName("Step 2: wait")
          class Step2 {
            @Test @Order(1) @DisplayName("the answer comes back")
            void answers() { assertThat(Adder.answer()).as("TODO 2: answer").isEqualTo(42); }

            @Test @Order(2) @DisplayName("a test after the hanging one still runs")
            void after() { assertThat(1).as("TODO 2: runs").isEqualTo(2); }
          }
        }
        """);
    git("init", "-q");
    // Lab 97 gets a helper the way lab 04 gets LocalGrpc: a //DEPS on a source file, which JBang
    // builds into a jar of its own (in a new scratch folder, never built before this run).
    Path helper = Files.createDirectories(copy.resolve("shared/src/workbook/selftest"));
    Files.writeString(helper.resolve("Four.java"), "package workbook.selftest;\n\npublic final class Four {\n"
        + "  public static int value() { return 4; }\n}\n");
    Path deps = Files.createDirectories(copy.resolve("labs/97-deps"));
    Files.writeString(deps.resolve("README.md"), "# Lab 97: Deps\n\n## Step 1: four\n\n## Hints\n");
    Files.writeString(deps.resolve("FourTest.java"), """
        ///usr/bin/env jbang "$0" "$@" ; exit $?
        //JAVA 17+
        //DEPS ../../shared/src/workbook/selftest/Four.java
        //SOURCES ../../shared/src/workbook/test/*.java
        import static org.assertj.core.api.Assertions.assertThat;
        import org.junit.jupiter.api.*;

        @DisplayName("Lab 97: Deps")
        class FourTest {
          public static void main(String[] args) { workbook.test.LabTests.run(FourTest.class, args); }

          @Nested @Tag("step1") @DisplayName("Step 1: four")
          class Step1 {
            @Test @DisplayName("the helper says four")
            void four() { assertThat(workbook.selftest.Four.value()).as("TODO 1: four").isEqualTo(4); }
          }
        }
        """);
    git("add", "-A");
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "scratch");
    // As a clone has it: the branch it was cloned from, which reset takes the starter from.
    git("update-ref", "refs/remotes/origin/main", "HEAD");
  }

  @AfterAll
  static void removeScratch() throws IOException {
    if (copy == null) return;
    try (Stream<Path> files = Files.walk(copy)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  @Order(1)
  @DisplayName("a step number the lab does not have gets the list of its steps, at once")
  void wrongStep() throws Exception {
    Result r = workbook(copy, "test", "99", "7");
    assertThat(r.out()).as("the message for test 99 7").contains("There is no step 7", "its steps are 1, 2");
    assertThat(r.exit()).as("exit code").isEqualTo(2);
  }

  @Test
  @Order(2)
  @DisplayName("code that blocks and ignores interrupts fails at its timeout, naming the test and the TODO; the run ends")
  void hang() throws Exception {
    Result r = workbook(copy, "test", "99", "2");
    assertThat(r.out()).as("the output of a hanging step")
        .contains("\"the answer comes back\" was stopped after 3 seconds", "TODO 2:")
        .contains("✘ a test after the hanging one still runs")
        .contains("0 passed, 2 failed");
    assertThat(r.seconds()).as("seconds the hanging run took").isLessThan(90);
    assertThat(processesMentioning(copy.toString())).as("processes left running from the scratch copy").isEmpty();
  }

  @Test
  @Order(3)
  @DisplayName("a one-step run that is green says that step is green, not the lab; from the lab's folder too")
  void oneStep() throws Exception {
    Path adder = copy.resolve(LAB + "/Adder.java");
    Files.writeString(adder, Files.readString(adder).replace("throw new UnsupportedOperationException(\"TODO 1: return the sum\");", "return a + b;"));
    Result r = workbook(copy.resolve(LAB), "test", "99", "1");
    assertThat(r.out()).as("the verdict of test 99 1, run from labs/99-self-test with ../../jbang")
        .contains("Lab 99 step 1 is green").doesNotContain("Lab 99 is green");
    assertThat(r.exit()).as("exit code of a green run").isZero();
    Result plain = workbook(copy, "test", "99", "1", "--plain");
    assertThat(plain.out()).as("test 99 1 --plain").contains("[ok] two and two make four").doesNotContain("✔");
  }

  @Test
  @Order(4)
  @DisplayName("after a compile error, test says so and list no longer shows the old green")
  void compileError() throws Exception {
    Path adder = copy.resolve(LAB + "/Adder.java");
    Files.writeString(adder, Files.readString(adder).replace("return a + b;", "return a + ;"));
    Result r = workbook(copy, "test", "99", "1");
    assertThat(r.out()).as("the verdict on code that does not compile")
        .contains("It does not compile yet").doesNotContain("--verbose").doesNotContain("fix the first red step");
    assertThat(r.exit()).as("exit code of a red run (it does not compile)").isEqualTo(1);
    assertThat(lineOf(workbook(copy, "list").out(), "99")).as("list's line for lab 99").contains("✘");
  }

  @Test
  @Order(5)
  @DisplayName("reset puts the starter back as shipped, even after the learner committed, and says how to restore; restore brings the learner's file back")
  void resetAndRestore() throws Exception {
    Path adder = copy.resolve(LAB + "/Adder.java");
    String mine = Files.readString(adder);
    git("add", LAB);
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "my work"); // as many learners are taught to
    Result reset = workbook(copy, "reset", "99", "--yes");
    assertThat(reset.out()).as("reset's last line").contains("restore 99");
    assertThat(Files.readString(adder)).as("Adder.java after reset").contains("throw new UnsupportedOperationException");
    assertThat(lineOf(workbook(copy, "list").out(), "99")).as("list after reset").contains("not run yet");
    workbook(copy, "restore", "99");
    assertThat(Files.readString(adder)).as("Adder.java after restore").isEqualTo(mine);
  }

  @Test
  @Order(6)
  @DisplayName("open makes an IDE project whose files link to the lab and whose build names the test's libraries")
  void open() throws Exception {
    Result r = workbook(copy, "open", "99");
    String[] lines = r.out().strip().split("\\R");
    Path project = Path.of(lines[lines.length - 2].strip());
    Path src = project.resolve("src/main/java/Adder.java");
    assertThat(Files.isSymbolicLink(src)).as("src/main/java/Adder.java in %s is a link", project).isTrue();
    assertThat(Files.readSymbolicLink(src).toString()).as("where src/main/java/Adder.java points").endsWith(LAB + "/Adder.java");
    assertThat(Files.readString(project.resolve("pom.xml"))).as("the project's pom.xml")
        .contains("junit-jupiter", "assertj-core");
  }

  @Test
  @Order(7)
  @DisplayName("the warm runner that test starts gives the same verdicts, and daemon stop ends it")
  void warmRunner() throws Exception {
    Path adder = copy.resolve(LAB + "/Adder.java");
    Files.writeString(adder, Files.readString(adder).replace("return a + ;", "return a + b;"));
    Result cold = warm(copy, "test", "99", "1");
    assertThat(cold.out()).as("the first run, through JBang").contains("A warm runner starts in the background");
    Path port = copy.resolve(".workbook/daemon/port");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.exists(port) && System.nanoTime() < deadline) Thread.sleep(200);
    assertThat(port).as("the warm runner's port file").exists();
    long pid = Long.parseLong(Files.readString(port).trim().split("\\s+")[2]);
    try {
      // A lab whose first run is warm, and whose //DEPS names a source file no run has built yet
      // (lab 04 after lab 02: "package workbook.grpc does not exist").
      Result deps = warm(copy, "test", "97");
      assertThat(deps.out()).as("the first run of lab 97 (a //DEPS on a source file), warm")
          .contains("Lab 97 is green").doesNotContain("does not exist");
      assertThat(deps.exit()).as("its exit code").isZero();
      Result warm = warm(copy, "test", "99", "1");
      assertThat(warm.out()).as("a warm run's output").contains("Lab 99 step 1 is green").doesNotContain("A warm runner starts");
      Files.writeString(adder, Files.readString(adder).replace("return a + b;", "return a - b;"));
      Result edited = warm(copy, "test", "99", "1");
      assertThat(edited.out()).as("a warm run right after an edit").contains("✘ two and two make four", "0 passed, 1 failed");
      assertThat(edited.exit()).as("exit code of a red warm run").isEqualTo(1);
      Result refused = warm(copy, "test", "99", "--bogus");
      assertThat(refused.out()).as("an unknown option, warm: one sentence, as the cold path says it")
          .contains("Unknown option '--bogus' for test").doesNotContain("passed");
      assertThat(refused.exit()).as("its exit code").isEqualTo(2);
      assertThat(warm(copy, "test", "99", "1", "--plain").out()).as("a warm run with --plain")
          .contains("[FAIL] two and two make four").doesNotContain("✘");
      // Only the edited file is compiled again, unless what it declares changed: then every file is.
      Path test = copy.resolve(LAB + "/AdderTest.java");
      String adderBefore = Files.readString(adder);
      String testBefore = Files.readString(test);
      Files.writeString(adder, adderBefore.replace("static int add(", "static int plus("));
      assertThat(warm(copy, "test", "99", "1").out()).as("a warm run after a method the test calls was renamed")
          .contains("AdderTest.java", "cannot find symbol", "It does not compile yet");
      Files.writeString(adder, adderBefore.replace("return a - b;", "return a + b;")
          .replace("class Adder {", "class Adder {\n  static final int FOUR = 4;"));
      Files.writeString(test, testBefore.replace("isEqualTo(4)", "isEqualTo(Adder.FOUR)"));
      assertThat(warm(copy, "test", "99", "1").out()).as("a warm run with the expected sum in a constant")
          .contains("Lab 99 step 1 is green");
      assertThat(warm(copy, "test", "99", "1").out()).as("the same run again, nothing changed")
          .contains("Lab 99 step 1 is green");
      Files.writeString(adder, Files.readString(adder).replace("FOUR = 4;", "FOUR = 5;"));
      assertThat(warm(copy, "test", "99", "1").out()).as("a warm run after the constant, which the compiler copies"
          + " into the test, changed: the test must be compiled again").contains("0 passed, 1 failed");
      // A private member is compiled with its file alone, unless it hides an inherited one that another file names.
      Files.writeString(adder, adderBefore.replace("return a - b;", "return a + b;")
          .replace("class Adder {", "interface Sums { int FOUR = 4; }\nclass Adder implements Sums {"));
      assertThat(warm(copy, "test", "99", "1").out()).as("a warm run with the sum's constant inherited from an interface")
          .contains("Lab 99 step 1 is green");
      Files.writeString(adder, Files.readString(adder).replace("class Adder implements Sums {",
          "class Adder implements Sums {\n  private static int calls;\n  private static int count() { return ++calls; }"));
      assertThat(warm(copy, "test", "99", "1").out()).as("a warm run after a private field and method were added")
          .contains("Lab 99 step 1 is green");
      Files.writeString(adder, Files.readString(adder).replace("private static int calls;", "private static int calls;\n  private static final int FOUR = 5;"));
      assertThat(warm(copy, "test", "99", "1").out()).as("a warm run after a private constant hid the inherited FOUR"
          + " that the test names: the test must be compiled again").contains("AdderTest.java", "FOUR has private access");
      Files.writeString(adder, adderBefore);
      Files.writeString(test, testBefore);
      Result wrongStep = warm(copy, "test", "99", "7");
      assertThat(wrongStep.out()).as("a wrong step, warm").contains("There is no step 7");
      assertThat(wrongStep.exit()).as("its exit code").isEqualTo(2);
    } finally {
      warm(copy, "daemon", "stop");
      ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(20, TimeUnit.SECONDS).join());
    }
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("the warm runner after daemon stop").isFalse();
  }

  @Test
  @Order(8)
  @DisplayName("mutate refuses a lab that does not exist, or none, with exit 2 and before PIT is resolved or run")
  void mutateBadInput() throws Exception {
    Result none = workbook(copy, "mutate", "98");
    assertThat(none.out()).as("the output of mutate 98").contains("There is no lab '98'").doesNotContain("PIT");
    assertThat(none.exit()).as("exit code of mutate 98").isEqualTo(2);
    Result missing = workbook(copy, "mutate");
    assertThat(missing.out()).as("the output of mutate with no lab").contains("Which lab?");
    assertThat(missing.exit()).as("exit code of mutate with no lab").isEqualTo(2);
  }

  // --- helpers ----------------------------------------------------------------------------

  /** A command run through JBang alone, as with WORKBOOK_DAEMON=off. */
  private static Result workbook(Path dir, String... args) throws Exception {
    return run(dir, "off", args);
  }

  /** A command that may start and use the warm runner. */
  private static Result warm(Path dir, String... args) throws Exception {
    return run(dir, "on", args);
  }

  private static Result run(Path dir, String daemon, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", dir.relativize(copy).resolve("jbang").toString(), "workbook@."));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile("tool-test-", ".log");
    long t0 = System.nanoTime();
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("WORKBOOK_DAEMON", daemon);
    pb.environment().put("WORKBOOK_DAEMON_IDLE", "120");
    Process p = pb.start();
    if (!p.waitFor(200, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    String text = Files.readString(out, StandardCharsets.UTF_8);
    Files.delete(out);
    return new Result(p.isAlive() ? -1 : p.exitValue(), text, (System.nanoTime() - t0) / 1e9);
  }

  private static void git(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(copy.toFile()).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).as("git %s", String.join(" ", args)).isZero();
  }

  private static String lineOf(String listing, String number) {
    return listing.lines().filter(l -> l.contains(" " + number + "  ")).findFirst().orElse("(no line for lab " + number + ")");
  }

  private static List<String> processesMentioning(String text) {
    return ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(text))
        .map(p -> p.info().commandLine().orElse("")).toList();
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path dst = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) Files.createDirectories(dst);
        else Files.copy(f, dst);
      }
    }
  }
}
