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

  private Story() {}

  /** Adds one line to the current test's story (kept to the first 200). */
  public static synchronized void add(String line) {
    if (LINES.size() < MAX_LINES) LINES.add(line);
    else if (LINES.size() == MAX_LINES) LINES.add("... (more left out)");
  }

  /** Forgets the story; the launcher calls this as each test starts. */
  public static synchronized void clear() { LINES.clear(); }

  /** Returns the story so far and forgets it. */
  public static synchronized List<String> drain() {
    List<String> copy = new ArrayList<>(LINES);
    LINES.clear();
    return copy;
  }
}
