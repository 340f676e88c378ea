//SOURCES ../story/*.java
package workbook.demo;

import workbook.story.Story;

/**
 * A lab's demo in parts, each of which may reach a TODO the learner has not done yet. The
 * starter's stub throws {@code UnsupportedOperationException("TODO 2: ...")}; here that becomes
 * one line saying which TODO stopped the part, instead of a stack trace, so the demo runs on a
 * starter too. Any other exception is a real failure and goes on up.
 */
public final class Stages {
  /** One part of a demo: any code, which may throw. */
  @FunctionalInterface
  public interface Part {
    void run() throws Exception;
  }

  private Stages() {}

  /** Runs the part: true when it finished, false when it stopped at a TODO (said in one line). */
  public static boolean run(Part part) throws Exception {
    try {
      part.run();
      return true;
    } catch (UnsupportedOperationException todo) {
      System.out.println(notDoneYet(todo));
      return false;
    }
  }

  /** Prints the title, runs the part: true when it finished, false when it stopped at a TODO (said in one line). */
  public static boolean run(String title, Part part) throws Exception {
    System.out.println(title);
    return run(part);
  }

  /** As {@link #run}, then prints the part's timeline: the lines the shared code added to the {@link Story}. */
  public static boolean runWithTimeline(String title, Part part) throws Exception {
    try {
      return run(title, part);
    } finally {
      Story.drain().forEach(line -> System.out.println("    " + line));
    }
  }

  /** The line for a part stopped at a TODO: which TODO, and what to do next. */
  public static String notDoneYet(UnsupportedOperationException todo) {
    return "  Not done yet: " + todo.getMessage() + ". See the README, then run the demo again.";
  }
}
