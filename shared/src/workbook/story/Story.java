package workbook.story;

import java.util.ArrayList;
import java.util.List;

/**
 * What happened during the current test, in order, told to the learner when it fails: shared
 * helpers (the Kafka timeline, simulated services) add lines; the test launcher prints them.
 */
public final class Story {
  private static final List<String> LINES = new ArrayList<>();
  private static final int MAX_LINES = 200;
  private static String last;
  private static int repeats;

  private Story() {}

  /**
   * Adds one line to the current test's story (kept to the first 200). The same line again
   * right after itself is counted, not repeated: a retry loop reads as one line and a number.
   */
  public static synchronized void add(String line) {
    if (line.equals(last)) {
      repeats++;
      return;
    }
    flushRepeats();
    last = line;
    append(line);
  }

  private static void append(String line) {
    if (LINES.size() < MAX_LINES) LINES.add(line);
    else if (LINES.size() == MAX_LINES) LINES.add("... (more left out)");
  }

  private static void flushRepeats() {
    if (repeats > 0) append("  (the line above " + repeats + " more time" + (repeats == 1 ? "" : "s") + ")");
    repeats = 0;
  }

  /** Forgets the story; the launcher calls this as each test starts. */
  public static synchronized void clear() {
    LINES.clear();
    last = null;
    repeats = 0;
  }

  /** Returns the story so far and forgets it. */
  public static synchronized List<String> drain() {
    flushRepeats();
    List<String> copy = new ArrayList<>(LINES);
    clear();
    return copy;
  }
}
