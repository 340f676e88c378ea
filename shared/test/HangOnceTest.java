///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Scratch.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * A hang is found once (workbook.test.HangOnce), in a scratch copy of the workbook where lab 01
 * is solved except for one classic first try: a join() on a future nothing ever completes, in
 * step 1's concurrent(...). Twelve of the lab's tests reach it, each allowed 60 s by the lab's
 * @Timeout (the tool stopped the run at its 600 s limit before): the run ends within 30 s, the
 * first test that hung named, in the tool's cold run, its warm runner and the IDE project's Maven build.
 */
@DisplayName("Workbook: a hang is found once")
@Timeout(400)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HangOnceTest {
  public static void main(String[] args) { workbook.test.LabTests.run(HangOnceTest.class, args); }

  private static final String LAB = "labs/01-rest-round-trips";
  private static Path copy;


  @BeforeAll
  static void scratchWorkbook() throws Exception {
    Path root = Scratch.root();
    copy = Scratch.tempDir("hang-test");
    for (String dir : List.of("shared/src", "shared/tool", LAB)) Scratch.copyTree(root.resolve(dir), copy.resolve(dir));
    for (String f : List.of("jbang", "jbang-catalog.json")) Files.copy(root.resolve(f), copy.resolve(f));
    try (Stream<Path> files = Files.list(root.resolve("solutions/01-rest-round-trips"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Files.copy(f, copy.resolve(LAB).resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Path views = copy.resolve(LAB + "/OrderViews.java");
    String solved = Files.readString(views);
    String joined = "return new OrderView(order.join(), customer.join(), shipment.join());";
    assertThat(solved).as("the solution's concurrent(...)").contains(joined);
    Files.writeString(views, solved.replace(joined,
        "var all = new java.util.concurrent.CompletableFuture<OrderView>(); // nothing completes it\n    return all.join();"));
  }

  @AfterAll
  static void removeScratch() throws Exception {
    try {
      run(copy, "on", "bash", "jbang", "workbook@.", "daemon", "stop");
    } finally {
      Scratch.delete(copy);
    }
  }

  @Test
  @Order(1)
  @DisplayName("the tool's cold run stops the first test waiting with no bound in 5 s, every later one in half a second")
  void cold() throws Exception {
    Scratch.Ran r = run(copy, "on", "bash", "jbang", "workbook@.", "test", "01");
    assertHungOnce(r, "the cold run of test 01");
    assertThat(r.seconds()).as("seconds the cold run took (JBang compiles the lab first)").isLessThan(150);
  }

  @Test
  @Order(2)
  @DisplayName("the warm runner's run stops the hang the same way")
  void warm() throws Exception {
    Path port = copy.resolve(".workbook/daemon/port");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.exists(port) && System.nanoTime() < deadline) Thread.sleep(200);
    assertThat(port).as("the warm runner's port file").exists();
    Scratch.Ran r = run(copy, "on", "bash", "jbang", "workbook@.", "test", "01");
    assertHungOnce(r, "the warm run of test 01");
    assertThat(r.seconds()).as("seconds the warm run took (its first: JBang describes the lab)").isLessThan(150);
  }

  @Test
  @Order(3)
  @DisplayName("an IDE's run (the project open writes, built by Maven) stops the hang the same way")
  void ide() throws Exception {
    Scratch.Ran open = run(copy, "off", "bash", "jbang", "workbook@.", "open", "01");
    assertThat(open.exit()).as("exit code of open 01; it printed:%n%s", open.out()).isZero();
    Path project = copy.resolve(".workbook/ide/01-rest-round-trips");
    List<String> mvn = new ArrayList<>(List.of("mvn", "-o", "-q", "-B", "test", "-Dgroups=step1"));
    Scratch.Ran build = run(project, "off", mvn.toArray(String[]::new));
    if (build.out().contains("in offline mode")) {
      mvn.remove("-o");
      build = run(project, "off", mvn.toArray(String[]::new));
    }
    assertThat(build.seconds()).as("seconds Maven's step 1 run took; it printed:%n%s", build.out()).isLessThan(120);
    Path report = project.resolve("target/surefire-reports/TEST-OrderViewsTest$Step1.xml");
    assertThat(report).as("Surefire's report of step 1").exists();
    String xml = Files.readString(report);
    assertThat(xml).as("Surefire's report of step 1")
        .contains("timed out after 5 seconds, waiting with no bound at ", "hung first").doesNotContain("timed out after 60 seconds");
    // What the hang costs, as in the tool's runs: the time of the tests it stopped (Surefire's own
    // figures), not the step's other tests, which a busy machine slows as it likes.
    List<Double> stopped = java.util.regex.Pattern.compile("<testcase [^>]*time=\"([0-9.]+)\"[^>]*>\\s*<(?:error|failure) message=\"[^\"]*timed out after")
        .matcher(xml).results().map(m -> Double.parseDouble(m.group(1))).toList();
    assertThat(stopped).as("the step 1 tests Maven's run stopped").hasSizeGreaterThan(1);
    assertThat(stopped.stream().mapToDouble(Double::doubleValue).sum()).as("seconds the tests stopped in Maven's run took in all")
        .isBetween(5.0, 30.0);
  }

  private static void assertHungOnce(Scratch.Ran r, String what) {
    assertThat(r.exit()).as("exit code of %s; it printed:%n%s", what, r.out()).isEqualTo(1);
    assertThat(r.out()).as("what %s printed", what)
        .containsOnlyOnce("was stopped after 5 seconds, waiting with no bound at ")
        .contains("was stopped after 0.5 seconds, waiting with no bound at OrderViews.concurrent(OrderViews.java:")
        .contains("hung first (at ")
        .doesNotContain("after 60 seconds");
    // What the hang costs: the time of the tests it stopped, as the tree prints it (whatever JBang
    // and a busy machine add to the rest); 60 s each, 600 s and more in all, before.
    double hung = java.util.regex.Pattern.compile("\\((\\d+\\.\\d) s\\)\\R.*was stopped after").matcher(r.out())
        .results().mapToDouble(m -> Double.parseDouble(m.group(1))).sum();
    assertThat(hung).as("seconds the tests stopped in %s took in all", what).isBetween(5.0, 30.0);
  }

  private static Scratch.Ran run(Path dir, String daemon, String... cmd) {
    return Scratch.run(dir, Map.of("WORKBOOK_DAEMON", daemon, "WORKBOOK_DAEMON_IDLE", "120"), 300, List.of(cmd));
  }
}
