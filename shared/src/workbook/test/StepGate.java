package workbook.test;

import java.lang.reflect.AnnotatedElement;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A red step costs the learner seconds, not minutes: a test marked {@link WaitsLong} is skipped
 * while an earlier test of its step (its {@code stepN} tag) has failed in the same run, with a
 * reason that names that test. The first failure of each step is kept in the run's root store, so
 * every run (the tool's, the warm runner's, an IDE's) starts afresh. Loaded, as HangOnce is,
 * through JUnit's extension auto-detection (extensions.txt).
 */
public final class StepGate implements SkipBeforeBuilding, TestWatcher {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(StepGate.class);
  private static final Pattern STEP = Pattern.compile("step\\d+");

  @Override public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (context.getTestMethod().isEmpty() || !waitsLong(context)) return ConditionEvaluationResult.enabled("runs as written");
    Optional<String> step = step(context);
    String red = step.map(s -> context.getRoot().getStore(NS).get(s, String.class)).orElse(null);
    return red == null ? ConditionEvaluationResult.enabled("no earlier test of its step is red")
        : ConditionEvaluationResult.disabled("not run: \"" + red + "\" of this step is red, and on the same code this"
            + " test would only wait out its bound; make that one pass first");
  }

  @Override public void testFailed(ExtensionContext context, Throwable cause) {
    step(context).ifPresent(s -> {
      ExtensionContext.Store run = context.getRoot().getStore(NS);
      if (run.get(s) == null) run.put(s, context.getDisplayName()); // the first red test of the step
    });
  }

  private static boolean waitsLong(ExtensionContext context) {
    for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
      Optional<AnnotatedElement> element = c.get().getElement();
      if (element.isPresent() && element.get().isAnnotationPresent(WaitsLong.class)) return true;
    }
    return false;
  }

  /** The step tag on the test or the nearest group around it. */
  private static Optional<String> step(ExtensionContext context) {
    for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
      for (String tag : c.get().getTags()) if (STEP.matcher(tag).matches()) return Optional.of(tag);
    }
    return Optional.empty();
  }
}
