//JAVA 17+
//SOURCES Compatibility.java ../../shared/src/workbook/story/*.java

import java.util.ArrayList;
import java.util.List;
import workbook.story.Story;

/**
 * A schema registry for one topic's events: it keeps the versions it accepted and turns down a
 * new version that would break a consumer under its compatibility mode, saying which field and
 * which rule. The modes and their names are those of Confluent's Schema Registry.
 */
final class SchemaRegistry {
  /** Who must be able to read whom; a transitive mode checks every version, not only the latest. */
  enum Mode {
    NONE, BACKWARD, FORWARD, FULL, BACKWARD_TRANSITIVE, FORWARD_TRANSITIVE, FULL_TRANSITIVE;

    boolean transitive() { return name().endsWith("_TRANSITIVE"); }
  }

  /** The registry's answer: accepted when there is no problem. */
  record Verdict(Schema candidate, List<Compatibility.Problem> problems) {
    boolean accepted() { return problems.isEmpty(); }
  }

  private final Mode mode;
  private final List<Schema> versions = new ArrayList<>();

  SchemaRegistry(Mode mode) { this.mode = mode; }

  /**
   * Checks a new version against the registered ones, and keeps it only if it is compatible. One
   * registration at a time (synchronized): two at once would both be checked against the same
   * versions and both be kept, though neither may be able to read the other.
   */
  synchronized Verdict register(Schema candidate) {
    List<Schema> checked = versionsToCheck();
    List<Compatibility.Problem> problems = new ArrayList<>();
    for (Schema existing : checked) problems.addAll(problems(mode, candidate, existing));
    Verdict verdict = new Verdict(candidate, List.copyOf(problems));
    if (verdict.accepted()) versions.add(candidate);
    Story.add(mode + ": v" + candidate.version() + " checked against "
        + checked.stream().map(s -> "v" + s.version()).toList() + ", " + (verdict.accepted() ? "accepted" : "rejected: " + problems));
    return verdict;
  }

  /** The problems that stop {@code candidate} from joining {@code existing} under {@code mode}. */
  static List<Compatibility.Problem> problems(Mode mode, Schema candidate, Schema existing) {
    // TODO 2: decide per mode who reads whom (new reads old, old reads new, both, nobody) and call Compatibility.problems.
    throw new UnsupportedOperationException("TODO 2: choose the reader and the writer for mode " + mode + " (see hint 2)");
  }

  /** The registered versions a candidate must be compatible with. */
  private List<Schema> versionsToCheck() {
    // TODO 3: in a transitive mode, check against every registered version, not only the latest.
    return versions.isEmpty() ? List.of() : List.of(versions.get(versions.size() - 1));
  }
}
