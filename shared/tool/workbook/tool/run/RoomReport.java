//SOURCES ../../../../src/workbook/room/*.java

package workbook.tool.run;

import java.util.List;
import java.util.Optional;
import workbook.room.Membership;
import workbook.room.Report;
import workbook.room.Reporter;
import workbook.room.Room;
import workbook.tool.base.Env;
import workbook.tool.base.Git;
import workbook.tool.content.Labs;
import workbook.tool.content.Results;

/**
 * The tool's side of the room (workbook.room holds the room itself): the labs as the room draws
 * them, and after a run in a workbook that joined a room, its one report and the one line saying
 * so. A workbook that never joined sends nothing and prints nothing.
 */
public final class RoomReport {
  private RoomReport() {}

  /** Every lab with its title and number of steps, for the room's page and its checks of a report. */
  public static List<Room.Lab> labs(Labs labs) {
    return labs.all().stream().map(l -> new Room.Lab(l.number(), l.title(), l.steps())).toList();
  }

  /** Set by the warm runner and by a watch that runs its own tests: this JVM outlives each run, so a slow report may finish behind it. */
  public static volatile boolean longLived;

  /** Before a run: in a workbook that joined a room, the connection to it is opened while the tests run. */
  static void before(Labs labs) {
    Membership.load(labs.root).ifPresent(Reporter::warmUp);
  }

  /** After a run of lab's tests (its results recorded): reports it if this workbook joined a room. */
  static void after(Labs labs, Labs.Lab lab, double seconds) {
    Optional<Membership> joined = Membership.load(labs.root);
    if (joined.isEmpty()) return;
    Optional<Results> results = Results.last(labs.root, lab);
    Optional<Report> report = results.flatMap(r -> of(joined.get(), lab, r, seconds, Git.workbookVersion(labs.root)));
    // How long a run waits for the room's answer: Reporter.WAIT (100 ms), or what WORKBOOK_ROOM_WAIT_MS says (a test of
    // the plumbing on a loaded machine gives it longer; a learner has no reason to).
    java.time.Duration wait = java.time.Duration.ofMillis(Env.number("WORKBOOK_ROOM_WAIT_MS", Reporter.WAIT.toMillis(), 0,
        "how long a run waits for the room's answer"));
    System.out.println(report.map(r -> Reporter.report(joined.get(), r, wait, longLived))
        .orElse("Not reported to the room: this run did not compile or did not finish (the room still shows your last run)."));
  }

  /**
   * What the room is told of one run: the step reached (the first red one, or the lab's last when
   * all are green), the first failing test of that step and the first line of its message. A run
   * with no step results (it did not compile) tells nothing: the room keeps the last state, and the
   * time on that step goes on counting, which is the truth.
   */
  static Optional<Report> of(Membership m, Labs.Lab lab, Results r, double seconds, String version) {
    if (r.green()) return Optional.of(new Report(m.code(), m.learner(), m.name(), lab.number(), Math.max(1, lab.steps()), true, "", "", seconds, version));
    Optional<String> red = r.firstRedStep();
    if (red.isEmpty()) return Optional.empty();
    String[] first = r.rows().stream().filter(row -> row[0].equals(red.get()) && row[1].equals("failed")).findFirst().orElseThrow();
    String message = first.length > 3 ? first[3].lines().findFirst().orElse("") : "";
    int step = Math.min(Results.num(red.get()), Math.max(1, lab.steps()));
    return Optional.of(new Report(m.code(), m.learner(), m.name(), lab.number(), step, false, first[2], message, seconds, version));
  }

}
