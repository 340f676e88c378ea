///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Scratch.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The command line as a Java developer expects it (issue 19), in a scratch copy of the workbook
 * with lab 01: every verb has --help, --version is one line, a mistake in the command is refused
 * in one sentence on standard error with exit 2, a bad variable too, the environment exits 3,
 * and no escape code reaches a pipe, NO_COLOR or TERM=dumb. Every command runs through ./jbang.
 */
@DisplayName("Workbook: the command line")
@Timeout(600)
class CliTest {
  public static void main(String[] args) { workbook.test.LabTests.run(CliTest.class, args); }

  private static Path copy;


  @BeforeAll
  static void scratchWorkbook() throws Exception {
    Path root = Scratch.root();
    copy = Scratch.tempDir("cli-test");
    for (String dir : List.of("shared/src", "shared/tool", "labs/01-rest-round-trips")) Scratch.copyTree(root.resolve(dir), copy.resolve(dir));
    for (String f : List.of("jbang", "jbang-catalog.json")) Files.copy(root.resolve(f), copy.resolve(f));
  }

  @AfterAll
  static void removeScratch() throws Exception {
    Scratch.delete(copy);
  }

  @Test
  @DisplayName("every verb answers --help with its usage and the exit codes; help VERB says the same")
  void helpForEveryVerb() throws Exception {
    for (String verb : List.of("list", "test", "watch", "hint", "reset", "restore", "open", "solution", "verify",
        "conventions", "messages", "mutate", "sync", "mistakes", "lists", "daemon", "doctor", "prefetch", "completion")) {
      Scratch.Ran r = workbook(Map.of(), verb, "--help");
      assertThat(r.exit()).as("exit code of %s --help; it printed:%n%s%s", verb, r.out(), r.err()).isZero();
      assertThat(r.out()).as("%s --help", verb).contains("Usage: ./jbang workbook@. " + verb);
      if (!verb.equals("completion")) assertThat(r.out()).as("%s --help", verb).contains("Exit codes", "3   the environment");
    }
    Scratch.Ran help = workbook(Map.of(), "help", "test");
    assertThat(help.exit()).as("exit code of help test").isZero();
    assertThat(help.out()).as("help test").contains("Usage: ./jbang workbook@. test", "STEP");
    Scratch.Ran all = workbook(Map.of(), "--help");
    assertThat(all.out()).as("--help").contains("verify", "watch", "Exit codes", "4   an internal error");
  }

  @Test
  @DisplayName("--version is one line: the workbook's version, the JDK's and JBang's")
  void version() throws Exception {
    // A git first on the PATH that notes each call: the version (git describe) is asked for only
    // when it is printed, not as picocli builds each command (once per verb, on every command).
    Path bin = Scratch.tempDir("cli-git");
    try {
      Path calls = bin.resolve("calls");
      Path git = bin.resolve("git");
      Files.writeString(git, "#!/bin/sh\necho \"$*\" >> '" + calls + "'\nPATH='" + System.getenv("PATH") + "' exec git \"$@\"\n");
      git.toFile().setExecutable(true);
      Map<String, String> env = Map.of("PATH", bin + java.io.File.pathSeparator + System.getenv("PATH"));
      Scratch.Ran help = workbook(env, "--help");
      assertThat(help.exit()).as("exit code of --help").isZero();
      assertThat(Files.exists(calls) ? Files.readAllLines(calls) : List.of()).as("git commands run by --help").isEmpty();
      Scratch.Ran r = workbook(env, "--version");
      assertThat(r.exit()).as("exit code of --version").isZero();
      assertThat(r.out().strip()).as("--version").matches("workbook \\S+, JDK \\S+.*, JBang \\S+.*").doesNotContain("\n");
      assertThat(Files.readAllLines(calls)).as("git commands run by --version").containsExactly("describe --tags --always --dirty");
    } finally {
      Scratch.delete(bin);
    }
  }

  @Test
  @DisplayName("an unknown option, an extra argument, a typo, no such lab: one sentence on standard error, exit 2")
  void refusals() throws Exception {
    for (List<String> args : List.of(List.of("test", "01", "--bogus"), List.of("watch", "01", "extra"),
        List.of("hint", "01", "02"), List.of("tets", "01"), List.of("verify", "98"), List.of("test"), List.of("daemon", "bogus"))) {
      Scratch.Ran r = workbook(Map.of(), args.toArray(String[]::new));
      String what = String.join(" ", args);
      assertThat(r.exit()).as("exit code of %s; it printed:%n%s%s", what, r.out(), r.err()).isEqualTo(2);
      assertThat(r.out()).as("standard output of %s", what).isEmpty();
      assertThat(r.err().strip().lines().count()).as("lines on standard error for %s: %s", what, r.err()).isEqualTo(1);
    }
    assertThat(workbook(Map.of(), "test", "01", "--bogus").err()).as("test 01 --bogus")
        .contains("Unknown option '--bogus'", "test --help");
    assertThat(workbook(Map.of(), "test").err()).as("test with no lab").contains("Which lab?");
  }

  @Test
  @DisplayName("a bad WORKBOOK_* variable is refused the same way, whichever it is: exit 2, its name and value")
  void badVariables() throws Exception {
    Scratch.Ran parallel = workbook(Map.of("WORKBOOK_VERIFY_PARALLEL", "two"), "verify", "01");
    assertThat(parallel.exit()).as("exit code with WORKBOOK_VERIFY_PARALLEL=two; it printed:%n%s%s", parallel.out(), parallel.err()).isEqualTo(2);
    assertThat(parallel.err()).as("WORKBOOK_VERIFY_PARALLEL=two").contains("WORKBOOK_VERIFY_PARALLEL must be", "'two'");
    Scratch.Ran daemon = workbook(Map.of("WORKBOOK_DAEMON", "maybe"), "daemon", "status");
    assertThat(daemon.exit()).as("exit code with WORKBOOK_DAEMON=maybe").isEqualTo(2);
    assertThat(daemon.err()).as("WORKBOOK_DAEMON=maybe").contains("WORKBOOK_DAEMON must be", "'maybe'");
  }

  @Test
  @DisplayName("watch --web 8080 and --web=8080 both take the port: a taken one is the environment, exit 3")
  void webPort() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String port = String.valueOf(taken.getLocalPort());
      for (List<String> args : List.of(List.of("watch", "01", "--web", port), List.of("watch", "01", "--web=" + port))) {
        Scratch.Ran r = workbook(Map.of(), args.toArray(String[]::new));
        assertThat(r.exit()).as("exit code of %s; it printed:%n%s%s", args, r.out(), r.err()).isEqualTo(3);
        assertThat(r.err()).as("%s", args).contains("Port " + port + " is already in use");
      }
    }
  }

  @Test
  @DisplayName("no escape codes in a pipe, nor on a terminal with NO_COLOR or TERM=dumb")
  void noEscapeCodes() throws Exception {
    assertThat(workbook(Map.of(), "--help").out()).as("--help into a pipe").doesNotContain("\u001b[");
    assumeThat(Path.of("/usr/bin/script")).as("script(1), to give the tool a terminal").exists();
    for (Map<String, String> env : List.of(Map.of("NO_COLOR", "1"), Map.of("TERM", "dumb"))) {
      Scratch.Ran r = run(copy, env, "script", "-qec", "bash jbang workbook@. test --help", "/dev/null");
      assertThat(r.out()).as("test --help on a terminal with %s", env).contains("Usage:").doesNotContain("\u001b[");
    }
  }

  @Test
  @DisplayName("--plain and WORKBOOK_PLAIN=1 write [ok], [FAIL] and - instead of ✔, ✘ and ·")
  void plainMarks() throws Exception {
    for (Scratch.Ran r : List.of(workbook(Map.of(), "list", "--plain"), workbook(Map.of(), "--plain", "list"),
        workbook(Map.of("WORKBOOK_PLAIN", "1"), "list"))) {
      assertThat(r.out()).as("list, plain").contains("  - 01").doesNotContain("·", "✔", "✘");
    }
    assertThat(workbook(Map.of(), "list").out()).as("list").contains("  · 01");
  }

  @Test
  @DisplayName("where the console's charset cannot show ✔ and ✘ (LC_ALL=C), the marks are plain by themselves, and the tool still compiles there")
  void plainByItself() throws Exception {
    Scratch.Ran ascii = workbook(Map.of("LC_ALL", "C", "LANG", "C"), "list");
    assertThat(ascii.exit()).as("list in an ASCII locale:\n" + ascii.out() + ascii.err()).isZero();
    assertThat(ascii.out()).as("list in an ASCII locale").contains("  - 01").doesNotContain("·", "✔", "✘", "?");
    assertThat(workbook(Map.of("LC_ALL", "C.UTF-8"), "list").out()).as("list in a UTF-8 locale").contains("  · 01");
  }

  @Test
  @DisplayName("resolving workbook@. (or any labNN@.) asks the network for nothing: on a room's Wi-Fi that takes connections and never answers, no command waits on JBang's catalogs")
  void noCatalogFromTheNetwork() throws Exception {
    // JBang's own built-in catalog imports JBangHub's from GitHub and, with no timeout, looks there
    // twice per alias; ./jbang puts a catalog of its own first. --verbose names every request.
    // A lab's alias resolves the same way (an alias, then its script's path tried as an alias).
    Scratch.Ran r = Scratch.runApart(copy, Map.of(), 120, List.of("bash", "jbang", "--verbose", "workbook@.", "--version"));
    assertThat(r.exit()).as("exit code of ./jbang --verbose workbook@. --version; it printed:%n%s%s", r.out(), r.err()).isZero();
    assertThat(r.err()).as("JBang's account of resolving workbook@.").contains("Resolved resource ref");
    assertThat(r.err().lines().filter(l -> l.contains("Requesting HTTP") || l.contains("Unable to read catalog")))
        .as("what JBang fetched over the network to resolve workbook@. (./jbang's own catalog first on JBang's class path)").isEmpty();
  }

  @Test
  @DisplayName("./jbang keeps the java command JBang gives for workbook@., and a change to the tool's sources is built before the next command")
  void keptLaunchFollowsTheSources() throws Exception {
    assertThat(workbook(Map.of(), "--help").out()).as("--help").contains("With no command: list.");
    Path source = copy.resolve("shared/tool/Workbook.java");
    String before = Files.readString(source);
    try {
      Files.writeString(source, before.replace("With no command: list.", "With no command: list (a maintainer's edit)."));
      Scratch.Ran after = workbook(Map.of(), "--help");
      assertThat(after.out()).as("--help after the tool's description was edited; it printed:%n%s%s", after.out(), after.err())
          .contains("With no command: list (a maintainer's edit).");
    } finally {
      Files.writeString(source, before);
    }
    Scratch.Ran back = workbook(Map.of(), "--help");
    assertThat(back.out()).as("--help after the edit was undone").contains("With no command: list.");
  }

  @Test
  @DisplayName("the warm runner that test starts stops by itself once its work tree is deleted")
  void warmRunnerGoesWithItsWorkTree() throws Exception {
    Path tree = Scratch.tempDir("cli-gone");
    long pid = -1;
    try {
      Scratch.copyTree(copy, tree);
      Scratch.delete(tree.resolve(".workbook"));
      Scratch.Ran cold = run(tree, Map.of("WORKBOOK_DAEMON", "on", "WORKBOOK_DAEMON_IDLE", "600"), "bash", "jbang", "workbook@.", "test", "01", "1");
      assertThat(cold.out()).as("the first run; it printed:%n%s%s", cold.out(), cold.err()).contains("A warm runner starts in the background");
      Path port = tree.resolve(".workbook/daemon/port");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!Files.exists(port) && System.nanoTime() < deadline) Thread.sleep(200);
      assertThat(port).as("the warm runner's port file").exists();
      pid = Long.parseLong(Files.readString(port).trim().split("\\s+")[2]);
      Scratch.delete(tree);
      long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < gone) Thread.sleep(200);
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
          .as("the warm runner 30 s after its work tree was deleted").isFalse();
    } finally {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
      Scratch.delete(tree);
    }
  }

  // --- helpers ----------------------------------------------------------------------------

  private static Scratch.Ran workbook(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", "jbang", "workbook@."));
    cmd.addAll(List.of(args));
    return run(copy, env, cmd.toArray(String[]::new));
  }

  private static Scratch.Ran run(Path dir, Map<String, String> env, String... cmd) {
    Scratch.Ran r = Scratch.runApart(dir, env, 120, List.of(cmd));
    return new Scratch.Ran(r.exit(), r.out(), r.err().lines().filter(l -> !l.startsWith("[jbang]"))
        .reduce("", (a, b) -> a + b + "\n"), r.seconds());
  }
}
