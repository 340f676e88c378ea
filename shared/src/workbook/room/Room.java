//SOURCES ../json/*.java
package workbook.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What the room knows: every learner's latest state, per lab the step each reached, since when each
 * has been on their current red step, and how many reports were refused for a wrong room code.
 * Every accepted report is appended to a session file (JSON lines) before it counts, so a room that
 * restarts (the instructor's laptop slept, the terminal closed) reads the file and knows everything
 * again. Thread-safe: the intake and the page's readers call it at once.
 */
public final class Room {
  /** A lab of the workbook as the page draws it: its number, title and number of steps. */
  public record Lab(String id, String title, int steps) {}

  /** Where a learner stands in one lab: the step reached, and whether the whole lab is green. */
  record Progress(int step, boolean green) {}

  private static final class Learner {
    final String id;
    String name, lab, test, message, version;
    int step;
    boolean green;
    double seconds;
    long last, since; // since: when they arrived on their current red step (0 when green)
    final Map<String, Progress> progress = new HashMap<>();

    Learner(String id) { this.id = id; }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private final List<Lab> labs;
  private final Map<String, Integer> steps = new LinkedHashMap<>();
  private final Path file;
  private final int capacity;
  private final LongSupplier clock;
  private final Map<String, Learner> learners = new LinkedHashMap<>();
  private int wrongCode, refused;
  private BufferedWriter out;

  /**
   * A room over a session file (created if absent, read back if present). At most capacity
   * learners; the clock gives milliseconds since the epoch (a test may move it).
   */
  public Room(List<Lab> labs, Path file, int capacity, LongSupplier clock) throws IOException {
    this.labs = List.copyOf(labs);
    labs.forEach(l -> steps.put(l.id(), l.steps()));
    this.file = file;
    this.capacity = capacity;
    this.clock = clock;
    Files.createDirectories(file.toAbsolutePath().getParent());
    if (Files.exists(file)) replay();
    out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  public Map<String, Integer> steps() { return steps; }

  /** The room's limit on learners, as its owner set it. */
  public int capacity() { return capacity; }

  /**
   * Takes one checked report (its code already compared). A learner the room has not seen is
   * refused when the room is full. The report is on disk before it counts.
   */
  public synchronized void accept(Report r) throws Report.Refused {
    if (!learners.containsKey(r.learner()) && learners.size() >= capacity)
      throw new Report.Refused(409, "the room is full (" + capacity + " learners): ask the instructor to start it with a larger --max");
    long now = clock.getAsLong();
    ObjectNode line = r.toJson(JSON.createObjectNode()).put("at", now);
    line.remove("code");
    try {
      out.write(JSON.writeValueAsString(line));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write the room's session file " + file, e);
    }
    apply(r, now);
  }

  /** Counts a report refused for a wrong room code (shown on the page: someone may have mistyped it). */
  public synchronized void wrongCode() { wrongCode++; }

  /** Counts any other refused report. */
  public synchronized void refused() { refused++; }

  private void apply(Report r, long now) {
    Learner l = learners.computeIfAbsent(r.learner(), Learner::new);
    boolean sameRedStep = !l.green && l.lab != null && l.lab.equals(r.lab()) && l.step == r.step();
    l.name = r.name();
    l.lab = r.lab();
    l.step = r.step();
    l.green = r.green();
    l.test = r.test();
    l.message = r.message();
    l.seconds = r.seconds();
    l.version = r.version();
    l.last = now;
    l.since = r.green() ? 0 : sameRedStep ? l.since : now;
    l.progress.put(r.lab(), new Progress(r.step(), r.green()));
  }

  private void replay() throws IOException {
    for (String s : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (s.isBlank()) continue;
      JsonNode n;
      try {
        n = JSON.readTree(s);
      } catch (IOException torn) {
        continue; // a line cut short when the laptop died: the next report of that learner replaces it
      }
      ((ObjectNode) n).put("code", "");
      try {
        apply(Report.read(n, steps), n.path("at").asLong(clock.getAsLong()));
      } catch (Report.Refused notThisWorkbook) {
        // a lab this workbook no longer has: nothing to show
      }
    }
  }

  /**
   * The whole room as the page draws it: the labs, each learner (the longest stuck first), and
   * per red step how many learners are on it with the message most of them read.
   */
  public synchronized ObjectNode snapshot() {
    ObjectNode root = JSON.createObjectNode();
    root.put("now", clock.getAsLong()).put("wrongCode", wrongCode).put("refused", refused).put("capacity", capacity);
    ArrayNode labsNode = root.putArray("labs");
    labs.forEach(l -> labsNode.addObject().put("id", l.id()).put("title", l.title()).put("steps", l.steps()));
    ArrayNode people = root.putArray("learners");
    List<Learner> sorted = new ArrayList<>(learners.values());
    sorted.sort(Comparator.comparing((Learner l) -> l.green).thenComparingLong(l -> l.green ? -l.last : l.since)
        .thenComparing(l -> l.name));
    for (Learner l : sorted) {
      ObjectNode p = people.addObject();
      p.put("name", l.name).put("lab", l.lab).put("step", l.step).put("state", l.green ? "green" : "red")
          .put("test", l.test).put("message", l.message).put("seconds", l.seconds).put("version", l.version)
          .put("last", l.last);
      if (!l.green) p.put("since", l.since);
      ObjectNode progress = p.putObject("progress");
      l.progress.forEach((lab, at) -> progress.putObject(lab).put("step", at.step()).put("green", at.green()));
    }
    ArrayNode hot = root.putArray("steps");
    Map<String, Map<String, Integer>> messages = new LinkedHashMap<>();
    for (Learner l : learners.values()) {
      if (l.green) continue;
      messages.computeIfAbsent(l.lab + " " + l.step, k -> new HashMap<>()).merge(l.message, 1, Integer::sum);
    }
    messages.entrySet().stream()
        .sorted(Comparator.comparing((Map.Entry<String, Map<String, Integer>> e) -> -total(e.getValue())).thenComparing(Map.Entry::getKey))
        .forEach(e -> {
          Map.Entry<String, Integer> top = e.getValue().entrySet().stream()
              .max(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder()))).orElseThrow();
          String[] key = e.getKey().split(" ");
          hot.addObject().put("lab", key[0]).put("step", Integer.parseInt(key[1])).put("count", total(e.getValue()))
              .put("message", top.getKey()).put("messageCount", top.getValue());
        });
    return root;
  }

  private static int total(Map<String, Integer> counts) {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }

  /**
   * The session as CSV for the instructor's notes: one row per accepted report, in order. A cell
   * that a spreadsheet would run as a formula (=, +, -, @ first) is quoted with a ' in front.
   */
  public synchronized String csv() throws IOException {
    out.flush();
    StringBuilder b = new StringBuilder("time,name,lab,step,state,test,message,seconds,version\r\n");
    for (String s : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      JsonNode n;
      try {
        n = JSON.readTree(s);
      } catch (IOException torn) {
        continue;
      }
      if (n == null || !n.isObject()) continue;
      b.append(java.time.Instant.ofEpochMilli(n.path("at").asLong())).append(',')
          .append(cell(n.path("name").asText())).append(',').append(cell(n.path("lab").asText())).append(',')
          .append(n.path("step").asInt()).append(',').append(cell(n.path("state").asText())).append(',')
          .append(cell(n.path("test").asText())).append(',').append(cell(n.path("message").asText())).append(',')
          .append(n.path("seconds").asDouble()).append(',').append(cell(n.path("version").asText())).append("\r\n");
    }
    return b.toString();
  }

  static String cell(String s) {
    String v = !s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0 ? "'" + s : s;
    return v.matches("(?s).*[,\"\r\n].*") ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
  }

  /** Learners the room knows. */
  public synchronized int size() { return learners.size(); }

  /** Closes the session file (the room's data stays in it). */
  public synchronized void close() throws IOException {
    out.close();
  }
}
