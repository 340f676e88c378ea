package workbook.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What one run of a learner's tests tells the room, and nothing more: which lab, the step reached
 * (the first red one, or the lab's last when green), red or green, the failing test's name and the
 * first line of its message, how long the run took, and the tool's version. Never a file, code, a
 * path or the machine's user name: the learner id is random (made by {@code join}) and the name is
 * the one the learner typed.
 */
public record Report(String code, String learner, String name, String lab, int step, boolean green,
    String test, String message, double seconds, String version) {

  /** The largest report the room reads; a run's report is a few hundred bytes. */
  public static final int MAX_BYTES = 4096;
  static final int MAX_NAME = 40, MAX_TEST = 200, MAX_MESSAGE = 300, MAX_VERSION = 60;
  private static final Pattern LEARNER = Pattern.compile("[A-Za-z0-9-]{8,64}");
  private static final Pattern LAB = Pattern.compile("[0-9]{2}");

  /** A report the room refuses: the HTTP status and one sentence for the sender and the log. */
  public static final class Refused extends Exception {
    public final int status;

    public Refused(int status, String reason) {
      super(reason, null, false, false);
      this.status = status;
    }
  }

  /**
   * Reads a report sent to the room. Fields the room does not know are ignored (a newer tool may
   * send more); a missing or ill-typed field, or a lab or step the workbook does not have, is
   * refused with the field named. Free text is cut to its length and stripped of control
   * characters; it is shown as text, never as HTML, whatever it holds.
   */
  public static Report read(JsonNode json, Map<String, Integer> stepsPerLab) throws Refused {
    if (json == null || !json.isObject()) throw new Refused(400, "a report is one JSON object");
    String code = text(json, "code", 40);
    String learner = text(json, "learner", 64);
    if (!LEARNER.matcher(learner).matches()) throw new Refused(400, "\"learner\" must be the id join made (8 to 64 letters, digits or dashes)");
    String name = clean(text(json, "name", 400), MAX_NAME);
    if (name.isBlank()) throw new Refused(400, "\"name\" must not be blank");
    String lab = text(json, "lab", 8);
    if (!LAB.matcher(lab).matches() || !stepsPerLab.containsKey(lab)) throw new Refused(422, "no lab \"" + clean(lab, 8) + "\" in this workbook");
    JsonNode stepNode = json.get("step");
    if (stepNode == null || !stepNode.canConvertToInt() || !stepNode.isIntegralNumber()) throw new Refused(400, "\"step\" must be a whole number");
    int step = stepNode.intValue();
    int steps = stepsPerLab.get(lab);
    if (step < 1 || step > steps) throw new Refused(422, "lab " + lab + " has steps 1 to " + steps + ", not " + step);
    String state = text(json, "state", 8);
    if (!state.equals("red") && !state.equals("green")) throw new Refused(400, "\"state\" must be \"red\" or \"green\"");
    JsonNode secondsNode = json.get("seconds");
    if (secondsNode == null || !secondsNode.isNumber() || secondsNode.doubleValue() < 0 || !Double.isFinite(secondsNode.doubleValue()))
      throw new Refused(400, "\"seconds\" must be a number of seconds, 0 or more");
    String test = clean(optional(json, "test"), MAX_TEST);
    String message = clean(firstLine(optional(json, "message")), MAX_MESSAGE);
    String version = clean(optional(json, "version"), MAX_VERSION);
    return new Report(code, learner, name, lab, step, state.equals("green"), test, message, secondsNode.doubleValue(), version);
  }

  /** This report as the JSON the room reads (the learner's side writes it). */
  public ObjectNode toJson(ObjectNode into) {
    into.put("code", code).put("learner", learner).put("name", name).put("lab", lab).put("step", step)
        .put("state", green ? "green" : "red").put("test", test).put("message", message)
        .put("seconds", seconds).put("version", version);
    return into;
  }

  private static String text(JsonNode json, String field, int max) throws Refused {
    JsonNode n = json.get(field);
    if (n == null || !n.isTextual()) throw new Refused(400, "\"" + field + "\" is missing or not a string");
    String s = n.textValue();
    if (s.length() > max) throw new Refused(400, "\"" + field + "\" is longer than " + max + " characters");
    return s;
  }

  private static String optional(JsonNode json, String field) throws Refused {
    JsonNode n = json.get(field);
    if (n == null || n.isNull()) return "";
    if (!n.isTextual()) throw new Refused(400, "\"" + field + "\" must be a string");
    return n.textValue();
  }

  static String firstLine(String s) {
    int end = s.indexOf('\n');
    return (end < 0 ? s : s.substring(0, end)).strip();
  }

  /** Control characters out, whitespace runs as one space, and at most max characters (an ellipsis marks a cut). */
  static String clean(String s, int max) {
    String one = s.codePoints().map(c -> Character.isISOControl(c) || Character.isWhitespace(c) ? ' ' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString()
        .replaceAll(" {2,}", " ").strip();
    if (one.codePointCount(0, one.length()) <= max) return one;
    return one.substring(0, one.offsetByCodePoints(0, max - 1)) + "…";
  }
}
