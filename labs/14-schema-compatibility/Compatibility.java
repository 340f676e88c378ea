//JAVA 17+

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one rule every compatibility mode is built from: can a consumer whose code knows the
 * reader schema decode data a producer wrote with the writer schema?
 */
final class Compatibility {
  private Compatibility() {}

  /** What stops a reader, and why: which field, which rule, for which pair of versions. */
  enum Rule {
    NO_DEFAULT("is not in the data, and the reader has no default to fill it with"),
    TYPE_CHANGED("is written with a type the reader's type cannot hold");

    final String text;

    Rule(String text) { this.text = text; }
  }

  record Problem(int reader, int writer, String field, Rule rule, String detail) {
    static Problem noDefault(Schema reader, Schema writer, Schema.Field field) {
      return new Problem(reader.version(), writer.version(), field.name(), Rule.NO_DEFAULT, "");
    }

    static Problem typeChanged(Schema reader, Schema writer, Schema.Field expected, Schema.Field written) {
      return new Problem(reader.version(), writer.version(), expected.name(), Rule.TYPE_CHANGED,
          " (v" + writer.version() + " writes " + written.typeName() + ", v" + reader.version() + " reads " + expected.typeName() + ")");
    }

    @Override public String toString() {
      return "v" + reader + " cannot read v" + writer + " data: '" + field + "' " + rule.text + detail;
    }
  }

  /**
   * Every reason a consumer on {@code reader} cannot decode data written with {@code writer};
   * empty when it can. Fields are matched by name; the writer's extra fields are skipped.
   */
  static List<Problem> problems(Schema reader, Schema writer) {
    // TODO 1: for each field the reader expects, find the writer's field of the same name and report NO_DEFAULT or TYPE_CHANGED.
    throw new UnsupportedOperationException("TODO 1: compare the reader's fields with the writer's (see hint 1)");
  }
}
