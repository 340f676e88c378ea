package workbook.test;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * For verify's catalogue of mistakes only: once a test fails with a message naming its own
 * step's TODO, the mistake is caught and the step's remaining tests are skipped. Loaded through
 * JUnit's extension auto-detection (with HangOnce, for every run): it acts only when the system
 * property workbook.stopWhenCaught is true, which verify sets for the mistakes' runs alone.
 */
public final class StopWhenCaught implements SkipBeforeBuilding, TestWatcher {
  private static final AtomicBoolean CAUGHT = new AtomicBoolean();
  private static final AtomicBoolean FAILED = new AtomicBoolean();
  private static final Pattern STEP = Pattern.compile("step(\\d+)");

  /** System property: the test that caught the mistake, as "Class$Nested#method", when it was the step's first to fail. */
  public static final String CAUGHT_BY = "workbook.caughtBy";

  static void reset() {
    CAUGHT.set(false);
    FAILED.set(false);
    System.clearProperty(CAUGHT_BY);
  }

  @Override public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    return Boolean.getBoolean("workbook.stopWhenCaught") && CAUGHT.get() && context.getTestMethod().isPresent()
        ? ConditionEvaluationResult.disabled("the mistake is already caught")
        : ConditionEvaluationResult.enabled("not caught yet");
  }

  @Override public void testFailed(ExtensionContext context, Throwable cause) {
    if (!Boolean.getBoolean("workbook.stopWhenCaught")) return;
    String message = Optional.ofNullable(cause.getMessage()).orElse("");
    boolean timeout = cause instanceof java.util.concurrent.TimeoutException; // told as the step's TODO by LabTests
    for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
      for (String tag : c.get().getTags()) {
        Matcher m = STEP.matcher(tag);
        if (m.matches() && (timeout || Pattern.compile("\\bTODO " + Integer.parseInt(m.group(1)) + "\\b").matcher(message).find())) {
          CAUGHT.set(true);
          // The test that caught it, if it was the step's first to fail: verify runs it alone first next
          // time (LabTests.ONLY), and its message is still the first a learner reads in this step.
          if (!FAILED.getAndSet(true)) {
            context.getTestMethod().ifPresent(method ->
                System.setProperty(CAUGHT_BY, context.getRequiredTestClass().getName() + "#" + method.getName()));
          }
          return;
        }
      }
    }
    FAILED.set(true);
  }
}
