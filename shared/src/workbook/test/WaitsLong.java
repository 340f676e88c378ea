package workbook.test;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test that, on unfinished code, waits out a long bound (a broker's answer, a deadline,
 * a group that never gets through its records) before it can say what is wrong. While an earlier
 * test of the same step is red in the run, such a test is not run but reported as skipped, naming
 * that test (see {@link StepGate}): the same unfinished code would only keep it waiting, and the
 * learner's next move is the earlier test's message anyway. Run alone (one test picked in an IDE)
 * or after a green start of its step, it runs as written.
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
public @interface WaitsLong {
}
