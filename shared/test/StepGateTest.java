///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Scratch.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.engine.TestExecutionResult;
import workbook.test.WaitsLong;

/**
 * A red step costs seconds (workbook.test.StepGate): a test marked @WaitsLong is skipped, naming
 * the test that was red first, while an earlier test of its step failed in the same run; it runs
 * when the earlier tests passed, when only another step is red, and in the next run afresh.
 * The sample lab below is run in this JVM by JUnit's own launcher, twice.
 */
@DisplayName("Workbook: a long wait is not paid while its step is already red")
class StepGateTest {
  public static void main(String[] args) { workbook.test.LabTests.run(StepGateTest.class, args); }

  /** What each sample test did in a run: "passed", "failed", or "skipped: why". */
  static Map<String, String> run(boolean firstPasses) {
    Sample.firstPasses = firstPasses;
    Sample.built = 0;
    Map<String, String> outcome = new ConcurrentHashMap<>();
    LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Sample.class))
        .configurationParameter("junit.jupiter.testclass.order.default", "org.junit.jupiter.api.ClassOrderer$ClassName").build(),
        new TestExecutionListener() {
          @Override public void executionSkipped(TestIdentifier id, String reason) {
            if (id.isTest()) outcome.put(id.getDisplayName(), "skipped: " + reason);
          }
          @Override public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (!id.isTest()) return;
            // StepGate skips a test before JUnit builds its instance, by aborting it there: told as a skip, with why.
            outcome.put(id.getDisplayName(), switch (result.getStatus()) {
              case SUCCESSFUL -> "passed";
              case ABORTED -> "skipped: " + result.getThrowable().map(Throwable::getMessage).orElse("");
              case FAILED -> "failed";
            });
          }
        });
    return outcome;
  }

  @Test
  @DisplayName("a long test after a red one of its step is skipped and names it; other steps' long tests run")
  void skippedAfterRed() {
    Map<String, String> outcome = run(false);
    assertThat(outcome).as("each sample test's outcome").containsEntry("first", "failed").containsEntry("short", "passed")
        .containsEntry("other step's long", "passed");
    assertThat(outcome.get("long")).as("the long test of the red step").startsWith("skipped: not run: \"first\" of this step is red");
    assertThat(outcome.get("long in a long group")).as("a test of a group marked long, in the red step")
        .startsWith("skipped: not run: \"first\"");
    // What a skipped test's fields would have started (a server, a client) is never started: no @AfterEach would stop it.
    assertThat(Sample.built).as("instances built of Step1 (3 tests, one skipped): its field initialisers ran for each").isEqualTo(2);
  }

  @Test
  @DisplayName("once the step's first tests pass, its long tests run; each run starts afresh")
  void runsWhenGreenSoFar() {
    assertThat(run(false).get("long")).as("the long test, first run (step red)").startsWith("skipped");
    Map<String, String> outcome = run(true);
    assertThat(outcome).as("each sample test's outcome, second run (step green so far)").containsEntry("first", "passed")
        .containsEntry("long", "passed").containsEntry("long in a long group", "passed");
  }

  @Test
  @DisplayName("every run loads it: extensions.txt names StepGate")
  void listedForAutoDetection() throws Exception {
    List<String> listed = Files.readAllLines(Scratch.root().resolve("shared/src/workbook/test/extensions.txt"));
    assertThat(listed).as("shared/src/workbook/test/extensions.txt").contains("workbook.test.StepGate");
  }

  /** Not run by this file's own run (not @Nested): only through run(...) above. */
  @ExtendWith(workbook.test.StepGate.class)
  static class Sample {
    static volatile boolean firstPasses;
    static volatile int built;

    @Nested @Tag("step1") @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class Step1 {
      { built++; } // as a field that starts a server would be
      @Test @Order(1) @DisplayName("first") void first() { assertThat(firstPasses).as("first").isTrue(); }
      @Test @Order(2) @DisplayName("short") void quick() {}
      @Test @Order(3) @WaitsLong @DisplayName("long") void waits() {}
    }

    @Nested @Tag("step1") @WaitsLong
    class Step1Later {
      @Test @DisplayName("long in a long group") void waits() {}
    }

    @Nested @Tag("step2")
    class Step2 {
      @Test @WaitsLong @DisplayName("other step's long") void waits() {}
    }
  }
}
