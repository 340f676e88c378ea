package workbook.test;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestInstanceFactoryContext;
import org.junit.jupiter.api.extension.TestInstancePreConstructCallback;
import org.opentest4j.TestAbortedException;

/**
 * A condition that skips a test before JUnit builds the test's instance. JUnit builds it (and
 * runs its field initialisers: a server, a client, a consumer) before it asks a condition, and
 * runs no {@code @AfterEach} for a test the condition skips: what the initialisers started stayed
 * open, in the warm runner for every later run (verify's lab 02 once held 1,293 Javalin servers
 * and 11,000 threads after its catalogue). Here the same verdict is asked first, and a skip
 * aborts the test before its instance exists; it is told as a skip with the condition's reason.
 */
interface SkipBeforeBuilding extends ExecutionCondition, TestInstancePreConstructCallback {
  @Override
  default void preConstructTestInstance(TestInstanceFactoryContext factory, ExtensionContext context) {
    if (context.getTestMethod().isEmpty()) return; // a class's own instance (PER_CLASS) is not one test's to skip
    ConditionEvaluationResult verdict = evaluateExecutionCondition(context);
    if (verdict.isDisabled()) throw new TestAbortedException(verdict.getReason().orElse("skipped"));
  }

  /** The test method's context, not its class's: the verdict depends on which test is about to run. */
  @Override
  default ExtensionContextScope getTestInstantiationExtensionContextScope(ExtensionContext rootContext) {
    return ExtensionContextScope.TEST_METHOD;
  }
}
