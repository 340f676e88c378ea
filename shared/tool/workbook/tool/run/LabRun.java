package workbook.tool.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import workbook.tool.base.UserError;
import workbook.tool.content.Labs;
import workbook.tool.content.Results;

/** `test NN`: a lab's tests run once, through JBang or warm, their results kept; watch and the daemon run them the same way. */
public final class LabRun {
  private LabRun() {}

  /** How a test run is carried out: through JBang in a new JVM, or warm in the workbook's daemon. */
  public interface Runner {
    Labs.Run run(Labs labs, Labs.Lab lab, Path test, List<String> steps, Path results);
  }


  public static int test(Labs labs, String number, List<String> steps, Runner runner) {
    Labs.Lab lab = labs.lab(number);
    Path test = lab.testFile().orElseThrow(() -> new UserError("Lab " + lab.number() + " has no *Test.java file."));
    String what = steps.isEmpty() ? "" : " step" + (steps.size() > 1 ? "s " : " ") + String.join(", ", steps);
    System.out.println("Testing lab " + lab.number() + what + " (" + lab.title() + ")...");
    long started = System.currentTimeMillis();
    RoomReport.before(labs); // only in a workbook that joined a room
    Labs.Run run = runTests(labs, lab, test, steps, runner);
    if (run.interrupted()) return 130; // Ctrl-C: one line has said so, nothing more to say
    if (!run.ok()) WebWatch.tellIfDrawn(labs.root, lab.number(), started);
    if (run.exit() == 2) return 2; // a wrong step number: the launcher has said which steps exist
    if (run.timedOut()) {
      System.out.println("Stopped after " + TEST_SECONDS + " s: the tests never finished. Look for a wait with no bound in your code.");
    } else if (!run.ok() && run.noResults()) {
      System.out.println("It does not compile yet (or did not start): fix the first error above and run it again.");
    } else if (!run.ok()) {
      System.out.println("Not green yet: fix the first red step, or ./jbang workbook@. hint " + lab.number());
    } else if (!steps.isEmpty()) {
      System.out.println("Lab " + lab.number() + what + " is green. Next: ./jbang workbook@. test " + lab.number()
          + " (every step)");
    } else {
      System.out.println("Lab " + lab.number() + " is green. Next: ./jbang workbook@. list");
    }
    RoomReport.after(labs, lab, (System.currentTimeMillis() - started) / 1000.0); // only in a workbook that joined a room
    return run.ok() ? 0 : 1;
  }

  public static Labs.Run jbangRun(Labs labs, Labs.Lab lab, Path test, List<String> steps, Path results) {
    List<String> args = new ArrayList<>(Labs.FIRST_ERRORS);
    args.add(test.toString());
    args.addAll(steps);
    return Labs.run(labs.root, labs.root, args, Map.of("WORKBOOK_RESULTS", results.toString()), null, TEST_SECONDS);
  }

  public static final long TEST_SECONDS = 600;

  /**
   * Runs the lab's test file and keeps the per-test results for list and hint. A run that leaves
   * no results (it did not compile, or was stopped) is recorded as red, so list never shows an
   * old green.
   */
  public static Labs.Run runTests(Labs labs, Labs.Lab lab, Path test, List<String> steps, Map<String, String> env, Path log) {
    return runTests(labs, lab, test, steps, (l, b, t, s, results) -> {
      List<String> args = new ArrayList<>(Labs.FIRST_ERRORS);
      args.add(t.toString());
      args.addAll(s);
      Map<String, String> withResults = new HashMap<>(env);
      withResults.put("WORKBOOK_RESULTS", results.toString());
      return Labs.run(labs.root, labs.root, args, withResults, log, TEST_SECONDS);
    });
  }

  public static Labs.Run runTests(Labs labs, Labs.Lab lab, Path test, List<String> steps, Runner runner) {
    // A new file for this run, moved into place only when it is complete: Ctrl-C keeps the last result.
    try (Results.Pending pending = new Results.Pending(Results.file(labs.root, lab), lab.number())) {
      Labs.Run run = runner.run(labs, lab, test, steps, pending.file);
      boolean noResults = !Files.exists(pending.file);
      if (run.exit() == 2) return new Labs.Run(2, false, run.log(), noResults); // a wrong step number: nothing ran
      if (run.interrupted()) { // the test JVM was ended by Ctrl-C (or a kill)
        pending.interrupted();
        return new Labs.Run(run.exit(), false, run.log(), noResults);
      }
      if (noResults) Results.markUnfinished(pending.file, run.timedOut());
      // A one-step run must not hide the other steps' last results: its rows replace only theirs.
      pending.commit(!steps.isEmpty());
      return new Labs.Run(run.exit(), run.timedOut(), run.log(), noResults);
    }
  }
}
