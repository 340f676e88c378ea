//FILES workbook/story/story.css=story.css
//FILES workbook/story/story.js=story.js
package workbook.story;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import workbook.story.Story.Entry;
import workbook.story.Story.Kind;

/**
 * A run's story drawn as a sequence diagram: one self-contained HTML page (inline SVG and a few
 * lines of script, nothing fetched), one section per test, as the tool advises: the failing ones
 * first, step by step, the first red step's open and the page saying to fix it first. A
 * lane per producer, consumer (with its group), service and caller, a lane per topic partition;
 * time goes down; an arrow per record sent, read or committed and per call and answer. Hovering
 * an arrow shows its key, offset, event type and correlation id. Past a limit a test's middle
 * entries are counted, not drawn, and the page says so. A test that records no message, call or
 * statement (only notes, as a lab of pure logic does) shows its notes as a list, with no empty
 * diagram, and the legend names only the kinds of arrow the page draws.
 */
public final class StoryPage {
  /** One test's part of the page. */
  public record Section(String name, boolean failed, String message, List<Entry> entries, int notKept) {}

  /** Entries drawn per failing test, and per passing one; the rest are summarised. */
  static final int DRAWN_FAILING = 1000;
  static final int DRAWN_PASSING = 300;

  private static final int LEFT = 64, TOP = 58, ROW = 18, PAGE_W = 1170, MIN_TEXT_W = 300;
  private static final Pattern NOTE_ACTOR = Pattern.compile("^(?:hop\\s+(\\S+)|([a-z][\\w-]{1,19})(?::\\s| {2,}))");
  private static final Pattern CORRELATION = Pattern.compile("correlation(?:Id)?=([^\\s,;)]+)");
  private static final Pattern STEP = Pattern.compile("^Step (\\d+)\\b");

  private StoryPage() {}

  /** Writes the page (to a temporary file first, so a browser never loads half a page). */
  public static void write(Path file, String title, List<Section> sections) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, html(title, sections), StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static boolean warmedUp;

  /**
   * Draws a made-up page of every kind of entry, and throws it away: the launcher calls this in
   * the background while the tests run, so the classes and code the page needs are loaded and
   * compiled by the time the run's own page is written at its end (which then takes milliseconds).
   * Once per JVM: in watch and the warm runner, later runs find the code compiled already, and a
   * second warm-up would only take a core from the tests.
   */
  public static void warmUp() {
    synchronized (StoryPage.class) {
      if (warmedUp) return;
      warmedUp = true;
    }
    List<Entry> entries = new ArrayList<>();
    String w = "warm-up";
    for (int i = 0; i < 200; i++) {
      int p = i % 3;
      long t = i * 10L;
      entries.add(Story.entry(Kind.SENT, "shop").topic("orders").at(p, i).key("order-" + i % 7).eventType("order.placed")
          .eventId("e-" + i).correlationId("c-1").line("sent   orders  p" + p + "@" + i).subject("o-" + i % 7).build(w, t));
      entries.add(Story.entry(Kind.READ, "inventory").group("group").topic("orders").at(p, i).key("order-" + i % 7)
          .eventType("order.placed").eventId("e-" + i % 150).line("read   orders").build(w, t + 1));
      entries.add(Story.entry(Kind.COMMITTED, "inventory").group("group").topic("orders").at(p, i + 1)
          .line(i % 2 == 0 ? "commit" : null).build(w, t + 2));
      entries.add(Story.entry(Kind.CALL, "client").peer("Inventory").eventType("CheckStock").line("server CheckStock receives")
          .build(w, t + 3));
      entries.add(Story.entry(Kind.ANSWER, "Inventory").peer("client").eventType("CheckStock OK").failed(i % 5 == 0)
          .line("server CheckStock ends").build(w, t + 4));
      entries.add(Story.entry(Kind.NOTE, null).line("note   relay: row " + i + " correlation=c-" + i).build(w, t + 5));
      entries.add(Story.entry(Kind.STATEMENT, "inventory").group("group").peer("database lab").key("INSERT INTO t VALUES ('e-1')")
          .eventType("INSERT t e-1").failed(i % 7 == 0).build(w, t + 6));
      entries.add(Story.entry(Kind.READ, "worker").group("group").topic("load").at(0, i).subject("o-" + i % 9).build(w, t + 7));
    }
    // A bulk load: one poll's records from one partition, drawn as one arrow.
    for (int i = 0; i < 120; i++) {
      List<String> orders = new ArrayList<>();
      for (int o = 0; o < 20; o++) orders.add("order-" + (i * 20 + o) % 97);
      entries.add(Story.entry(i % 2 == 0 ? Kind.SENT : Kind.READ, i % 2 == 0 ? "loader" : "worker").group(i % 2 == 0 ? null : "g")
          .topic("load").at(i % 6, i * 40).records(new Story.Records(20, i * 40 + 19, orders, orders)).build(w, 3000 + i));
    }
    List<Section> sections = List.of(new Section("failing", true, "TODO 1: warm-up", entries, 0),
        new Section("passing", false, "", entries.subList(0, 60), 0));
    for (int i = 0; i < 3; i++) html("warm-up", sections);
  }

  /** The step a test belongs to, from its name ("Step 3: ... › ..."); 0 for a test outside any step. */
  static int step(Section s) {
    Matcher m = STEP.matcher(s.name());
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  /**
   * The order the tool advises: the failing tests first, step by step (within a step, those with a
   * story before those without, then as they ran), then the passing ones, step by step.
   */
  static List<Section> ordered(List<Section> sections) {
    java.util.Comparator<Section> byStep = java.util.Comparator.comparingInt(StoryPage::step);
    List<Section> ordered = new ArrayList<>(sections.stream().filter(Section::failed)
        .sorted(byStep.thenComparing(s -> s.entries().isEmpty())).toList());
    ordered.addAll(sections.stream().filter(s -> !s.failed()).sorted(byStep).toList());
    return ordered;
  }

  /** The whole page. */
  public static String html(String title, List<Section> sections) {
    List<Section> ordered = ordered(sections);
    long failed = sections.stream().filter(Section::failed).count();
    int firstRed = ordered.isEmpty() || !ordered.get(0).failed() ? -1 : step(ordered.get(0));
    int entries = 0;
    for (Section s : sections) entries += Math.min(s.entries().size(), DRAWN_FAILING);
    StringBuilder body = new StringBuilder(16 * 1024 + entries * 900);
    Set<String> drawn = new TreeSet<>(); // the kinds of arrow drawn, for the legend
    int n = 0;
    for (Section s : ordered) section(body, s, n++, s.failed() && step(s) == firstRed, drawn);
    if (sections.isEmpty()) body.append("<p>No test ran.</p>");
    StringBuilder sb = new StringBuilder(body.length() + 8 * 1024);
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
        .append(esc(title)).append(" - what happened</title>\n<meta name=\"run\" content=\"")
        .append(System.nanoTime()).append("\">\n<style>").append(CSS).append("</style></head>\n<body>\n<header><h1>")
        .append(esc(title)).append("</h1><p class=\"run\">Run of ")
        .append(now()).append(": ")
        .append(sections.size() - failed).append(" passed, ").append(failed).append(" failed.");
    if (firstRed > 0) sb.append(" <b class=\"first-red\">Fix step ").append(firstRed).append(" first</b>: its tests are open below.");
    else if (firstRed == 0) sb.append(" <b class=\"first-red\">Tests outside any step fail</b>: they are open below.");
    if (!drawn.isEmpty()) sb.append(" Time goes down; hover an arrow for its key, offset, event type and correlation id.");
    sb.append("</p>").append(legend(drawn)).append("</header>\n").append(body);
    sb.append("<div id=\"tip\" hidden></div>\n<script>").append(SCRIPT).append("</script>\n</body></html>\n");
    return sb.toString();
  }

  /** "2026-12-01 17:39:19", without loading java.time's formatters (the page is written on every run). */
  private static String now() {
    LocalDateTime t = LocalDateTime.now();
    return String.format(Locale.ROOT, "%d-%02d-%02d %02d:%02d:%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth(),
        t.getHour(), t.getMinute(), t.getSecond());
  }

  // ---- one test ------------------------------------------------------------------------------

  private record Lane(String id, String label, String sub, String role, int rank, int order) {}

  private static final class Diagram {
    final Map<String, Lane> lanes = new LinkedHashMap<>();
    final Map<String, Integer> topicOrder = new HashMap<>();
    final Map<String, String> groupedLane = new HashMap<>();

    String lane(String id, String label, String sub, String role, int rank) {
      lanes.computeIfAbsent(id, k -> new Lane(k, label, sub, role, rank, lanes.size()));
      return id;
    }

    String partition(String topic, int p) {
      topicOrder.putIfAbsent(topic, topicOrder.size());
      return lane("partition " + topic + " p" + p, "p" + p, topic, "partition", 2);
    }

    String actor(Entry e, String role, int rank) {
      String name = e.actor() == null ? inferredActor(e.line()) : e.actor();
      if (name == null) return null;
      // A name with digits read from a note's text ("order-0716: ...") is a key, unless a client has that name.
      if (e.actor() == null && name.chars().anyMatch(Character::isDigit) && !lanes.containsKey(name)
          && !groupedLane.containsKey(name)) return null;
      boolean grouped = e.group() != null && !e.group().isBlank() && !e.group().equals(name);
      if (grouped) {
        String id = lane(name + "\u0000" + e.group(), name, "group " + e.group(), "consumer", 3);
        groupedLane.putIfAbsent(name, id);
        return id;
      }
      // A consumer's own note ("starts ...") goes on its lane, whichever group it is in.
      String existing = groupedLane.get(name);
      return existing != null && (role.equals("service") || role.equals("caller")) ? existing : lane(name, name, "", role, rank);
    }
  }

  /** A note whose author is in its text ("relay: ...", "inventory    took ...", "hop gateway ..."). */
  static String inferredActor(String line) {
    if (line == null) return null;
    Matcher m = NOTE_ACTOR.matcher(line.replaceFirst("^note\\s+", ""));
    if (!m.find()) return null;
    return m.group(1) != null ? m.group(1) : m.group(2);
  }

  private static void section(StringBuilder sb, Section s, int index, boolean open, Set<String> drawn) {
    // In the order things happened (a send is stamped when handed over, though told at its answer).
    List<Entry> all = new ArrayList<>(s.entries());
    all.sort(java.util.Comparator.comparingLong(Entry::micros));
    Diagram d = new Diagram();
    List<Entry> rows = all;
    // Lanes first, from every entry (drawn or not), so a summarised test keeps all its lanes.
    List<String[]> ends = new ArrayList<>(rows.size());
    for (Entry e : rows) ends.add(ends(d, e));
    List<Lane> lanes = new ArrayList<>(d.lanes.values());
    lanes.sort((a, b) -> a.rank() != b.rank() ? Integer.compare(a.rank(), b.rank())
        : a.rank() == 2 ? partitionOrder(d, a, b) : Integer.compare(a.order(), b.order()));
    // Lanes first: 110 to 150 px each; the text of the story takes what is left of 1170 px (300 at least).
    int laneW = Math.max(110, Math.min(150, lanes.isEmpty() ? 150 : (PAGE_W - LEFT - 420) / lanes.size()));
    int textW = Math.max(MIN_TEXT_W, PAGE_W - LEFT - lanes.size() * laneW - 12);
    Map<String, Integer> x = new HashMap<>();
    for (int i = 0; i < lanes.size(); i++) x.put(lanes.get(i).id(), LEFT + laneW / 2 + i * laneW);
    int textX = LEFT + lanes.size() * laneW + 12;

    int limit = s.failed() ? DRAWN_FAILING : DRAWN_PASSING;
    int head = rows.size() <= limit ? rows.size() : limit / 2;
    int tailFrom = rows.size() <= limit ? rows.size() : rows.size() - limit / 2;
    Findings.Facts facts = Findings.of(all);

    sb.append("<details class=\"test ").append(s.failed() ? "failed" : "passed").append("\" id=\"test-").append(index)
        .append('"').append(open ? " open" : "").append(" data-step=\"").append(step(s)).append("\" data-test=\"").append(esc(s.name()))
        .append("\" data-entries=\"").append(all.size()).append("\"><summary>").append(s.failed() ? "&#10008; " : "&#10004; ")
        .append(esc(s.name())).append(" <span class=\"count\">(").append(all.size()).append(all.size() == 1 ? " entry" : " entries")
        .append(")</span></summary>\n");
    if (s.failed() && s.message() != null && !s.message().isBlank()) {
      sb.append("<pre class=\"message\">").append(esc(s.message().strip())).append("</pre>\n");
    }
    if (all.isEmpty()) {
      sb.append("<p class=\"empty\">Nothing was recorded in this test.</p></details>\n");
      return;
    }
    facts.html(sb);
    if (lanes.isEmpty()) { // notes only (a lab of pure logic): its verdicts as a list, no empty diagram
      notes(sb, all, head, tailFrom);
      sb.append("</details>\n");
      return;
    }
    int records = 0, batched = 0;
    for (Entry e : all) if (e.records() != null) { records += e.records().count(); batched++; }
    if (tailFrom > head || s.notKept() > 0 || batched > 0) {
      sb.append("<p class=\"summarised\">Summarised: ");
      if (batched > 0) {
        sb.append("a bulk load is drawn one arrow per poll and partition, and per run of sends one partition acknowledged (")
            .append(records).append(" records in ").append(batched).append(" arrows; hover an arrow for its records).");
      }
      if (tailFrom > head) {
        sb.append(batched > 0 ? " " : "").append("the first ").append(head).append(" and the last ").append(rows.size() - tailFrom)
            .append(" of ").append(rows.size()).append(" entries are drawn; the ").append(tailFrom - head)
            .append(" between them are counted (").append(Findings.counts(all.subList(head, tailFrom))).append(").");
      }
      if (s.notKept() > 0) sb.append(" ").append(s.notKept()).append(" more entries were only counted: a test keeps ")
          .append(Story.MAX_ENTRIES).append(".");
      sb.append(" The counts above cover every entry.</p>\n");
    }
    int drawnRows = countRows(rows, 0, head) + countRows(rows, tailFrom, rows.size()) + (tailFrom > head ? 2 : 0);
    int width = textX + textW;
    int height = TOP + drawnRows * ROW + 12;
    sb.append("<div class=\"scroll\"><svg class=\"diagram\" width=\"").append(width)
        .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\">\n");
    sb.append("<g class=\"lanes\">");
    for (Lane l : lanes) {
      int lx = x.get(l.id());
      sb.append("<g class=\"lane ").append(l.role()).append("\" data-lane=\"").append(esc(l.label()))
          .append("\" data-role=\"").append(l.role()).append("\" data-sub=\"").append(esc(l.sub())).append("\"><title>")
          .append(esc(l.label() + (l.sub().isEmpty() ? "" : " (" + l.sub() + ")"))).append("</title>");
      sb.append("<rect x=\"").append(lx - laneW / 2 + 3).append("\" y=\"4\" width=\"").append(laneW - 6)
          .append("\" height=\"40\" rx=\"5\"/>");
      sb.append("<text x=\"").append(lx).append("\" y=\"").append(l.sub().isEmpty() ? 28 : 21).append("\">")
          .append(esc(cut(l.label(), laneW / 7))).append("</text>");
      if (!l.sub().isEmpty()) {
        sb.append("<text class=\"sub\" x=\"").append(lx).append("\" y=\"37\">").append(esc(cut(l.sub(), (laneW - 18) / 6)))
            .append("</text>");
      }
      sb.append("<line x1=\"").append(lx).append("\" y1=\"44\" x2=\"").append(lx).append("\" y2=\"").append(height)
          .append("\"/></g>");
    }
    sb.append("</g>\n<g class=\"entries\">\n");
    Set<Entry> dups = facts.readAgain();
    int[] row = {0};
    draw(sb, rows, ends, 0, head, x, textX, textW * 10 / 66, row, dups, drawn);
    if (tailFrom > head) {
      int y = TOP + row[0] * ROW + ROW / 2;
      sb.append("<g class=\"gap\"><rect x=\"").append(LEFT).append("\" y=\"").append(y - 4).append("\" width=\"")
          .append(width - LEFT - 8).append("\" height=\"").append(ROW + 8).append("\"/><text x=\"").append(LEFT + 8)
          .append("\" y=\"").append(y + 12).append("\">&#8230; ").append(tailFrom - head).append(" entries")
          .append(" not drawn here: ").append(esc(Findings.counts(all.subList(head, tailFrom)))).append("</text></g>\n");
      row[0] += 2;
    }
    draw(sb, rows, ends, tailFrom, rows.size(), x, textX, textW * 10 / 66, row, dups, drawn);
    sb.append("</g></svg></div></details>\n");
  }

  private static int partitionOrder(Diagram d, Lane a, Lane b) {
    int t = Integer.compare(d.topicOrder.getOrDefault(a.sub(), 0), d.topicOrder.getOrDefault(b.sub(), 0));
    return t != 0 ? t : Integer.compare(Integer.parseInt(a.label().substring(1)), Integer.parseInt(b.label().substring(1)));
  }

  /** The lanes an entry is drawn between: {from, to}; to is null for a note on one lane (or none). */
  private static String[] ends(Diagram d, Entry e) {
    switch (e.kind()) {
      case SENT: {
        String from = d.actor(e, "producer", 0);
        if (e.partition() < 0 || e.topic() == null) return new String[] {from, null};
        return new String[] {from, d.partition(e.topic(), e.partition())};
      }
      case READ:
        return new String[] {d.partition(e.topic(), e.partition()), d.actor(e, "consumer", 3)};
      case COMMITTED:
        return new String[] {d.actor(e, "consumer", 3), d.partition(e.topic(), e.partition())};
      case CALL: {
        String from = d.actor(e, "caller", 0);
        return new String[] {from, e.peer() == null ? null : d.lane(e.peer(), e.peer(), "", "service", 1)};
      }
      case ANSWER: {
        String from = d.actor(e, "service", 1);
        return new String[] {from, e.peer() == null ? null : d.lane(e.peer(), e.peer(), "", "caller", 0)};
      }
      case STATEMENT: {
        // The database's lane is the rightmost: "database" over its name.
        String db = e.peer() == null ? "database" : e.peer();
        String sub = db.startsWith("database ") ? db.substring("database ".length()) : "";
        return new String[] {d.actor(e, "caller", 0), d.lane(db, "database", sub, "database", 4)};
      }
      default:
        return new String[] {d.actor(e, "service", 1), null};
    }
  }

  private static int countRows(List<Entry> all, int from, int to) {
    int rows = 0;
    for (int i = from; i < to; i++) if (!sharesRow(all, i, from)) rows++;
    return rows;
  }

  /** A commit's further partitions (entries with no line) are drawn on the commit's row. */
  private static boolean sharesRow(List<Entry> all, int i, int from) {
    if (i <= from) return false;
    Entry e = all.get(i), before = all.get(i - 1);
    return e.kind() == Kind.COMMITTED && e.line() == null && before.kind() == Kind.COMMITTED
        && String.valueOf(e.actor()).equals(String.valueOf(before.actor()));
  }

  private static void draw(StringBuilder sb, List<Entry> all, List<String[]> ends, int from,
      int to, Map<String, Integer> x, int textX, int textChars, int[] row, Set<Entry> dups, Set<String> drawn) {
    for (int i = from; i < to; i++) {
      Entry e = all.get(i);
      if (!sharesRow(all, i, from)) row[0]++;
      int y = TOP + (row[0] - 1) * ROW + ROW / 2;
      // Read again: the same record (a redelivery), or the same event at another offset (sent twice).
      boolean dup = !dups.isEmpty() && dups.contains(e);
      Batch b = e.records() != null ? new Batch(e) : null;
      String corr = e.correlationId() != null ? e.correlationId() : correlationIn(e.line());
      String[] lanes = ends.get(i);
      Integer x1 = lanes[0] == null ? null : x.get(lanes[0]);
      Integer x2 = lanes[1] == null ? null : x.get(lanes[1]);
      boolean arrow = x1 != null && x2 != null && !x1.equals(x2);
      String kind = e.kind().word();
      sb.append("<g class=\"entry ").append(arrow ? "arrow " : "note ").append(kind).append(e.failed() ? " failed" : "")
          .append(dup ? " dup" : "").append("\" data-kind=\"").append(kind).append('"');
      attr(sb, "from", lanes[0] == null ? null : laneName(lanes[0]));
      attr(sb, "to", lanes[1] == null ? null : laneName(lanes[1]));
      attr(sb, "topic", e.topic());
      if (e.partition() >= 0) attr(sb, "partition", String.valueOf(e.partition()));
      if (e.offset() >= 0) attr(sb, "offset", String.valueOf(e.offset()));
      attr(sb, "key", b == null ? e.key() : b.key);
      if (b != null) {
        attr(sb, "count", String.valueOf(b.count));
        attr(sb, "last", String.valueOf(b.last));
      }
      attr(sb, "subject", b == null ? e.subject() : b.subject);
      attr(sb, "type", e.eventType());
      attr(sb, "event", e.eventId());
      attr(sb, "corr", corr);
      String ms = millis(e.micros());
      attr(sb, "ms", ms);
      sb.append("><title>").append(esc(b == null ? tooltip(e, dup, corr, ms) : b.tooltip(e, dup, ms))).append("</title>");
      sb.append("<text class=\"t\" x=\"").append(LEFT - 6).append("\" y=\"").append(y + 4).append("\">")
          .append(e.micros() / 1000).append("</text>");
      String colorKey = b == null ? e.key() : b.key;
      String color = colorKey != null && (e.kind() == Kind.SENT || e.kind() == Kind.READ)
          ? " style=\"stroke:" + keyColor(colorKey) + "\"" : "";
      if (arrow) {
        drawn.add(legendKind(e, dup));
        sb.append("<line x1=\"").append(x1).append("\" y1=\"").append(y).append("\" x2=\"").append(x2 + (x2 > x1 ? -4 : 4))
            .append("\" y2=\"").append(y).append("\" marker-end=\"url(#").append(marker(e, dup)).append(")\"").append(color).append("/>");
        String label = b == null ? label(e, dup) : b.label(dup);
        if (!label.isEmpty()) {
          sb.append("<text class=\"label\" x=\"").append((x1 + x2) / 2).append("\" y=\"").append(y - 3).append("\">")
              .append(esc(cut(label, Math.abs(x2 - x1) / 6))).append("</text>");
        }
      } else if (x1 != null || x2 != null) {
        sb.append("<circle cx=\"").append(x1 != null ? x1 : x2).append("\" cy=\"").append(y).append("\" r=\"4\"/>");
      }
      // A database statement prints no line; the text column says what the arrow's label has no room for.
      String text = e.line() != null ? squeeze(e.line()) : b != null ? b.text(e)
          : e.kind() == Kind.STATEMENT && e.eventType() != null ? e.actor() + ": " + e.eventType() : null;
      if (text != null) {
        sb.append("<text class=\"line").append(e.line() == null ? " drawn" : "").append("\" x=\"").append(textX).append("\" y=\"").append(y + 4).append("\">")
            .append(esc(cut(text, textChars))).append("</text>");
      }
      sb.append("</g>\n");
    }
  }

  /** A bulk load's entry (many records): what its label, text and hover say. */
  private static final class Batch {
    final int count, keys, subjects;
    final long first, last;
    final String key, subject;
    final List<String> someKeys, someSubjects;

    Batch(Entry e) {
      Story.Records r = e.records();
      count = r.count();
      first = e.offset();
      last = r.lastOffset();
      keys = r.keys().size();
      subjects = r.subjects().size();
      key = e.key();
      subject = e.subject();
      someKeys = r.keys().subList(0, Math.min(6, keys));
      someSubjects = r.subjects().subList(0, Math.min(6, subjects));
    }

    /** "x52 @120-171", or "order-1 x3 @4-6" when one key. */
    String label(boolean dup) {
      return (dup ? "AGAIN " : "") + (key == null ? "" : key + " ") + "\u00d7" + count + " @" + first + "\u2013" + last;
    }

    /** "worker-2 read 52 from p3: order-0012, order-0450, ... (40 orders)": the row's text, where a line would be. */
    String text(Entry e) {
      StringBuilder t = new StringBuilder().append(e.actor()).append(e.kind() == Kind.SENT ? " sent " : " read ")
          .append(count).append(e.kind() == Kind.SENT ? " to p" : " from p").append(e.partition());
      List<String> shown = subjects > 0 ? someSubjects : someKeys;
      int of = subjects > 0 ? subjects : keys;
      if (subjects > 0 || !(keys == 1 && "null".equals(someKeys.get(0)))) {
        t.append(": ").append(String.join(", ", shown.subList(0, Math.min(3, shown.size()))))
            .append(of > 3 ? ", \u2026 (" + of + (subjects > 0 ? " orders)" : " keys)") : "");
      }
      return t.toString();
    }

    String tooltip(Entry e, boolean dup, String ms) {
      StringBuilder t = new StringBuilder(e.kind().word()).append(' ').append(count).append(" records");
      if (dup) t.append(" (some read again: this group had read them before)");
      t.append(" at ").append(ms).append(" ms");
      if (e.actor() != null) t.append("\nby: ").append(e.actor())
          .append(e.group() == null || e.group().equals(e.actor()) ? "" : " (group " + e.group() + ")");
      t.append("\ntopic: ").append(e.topic()).append("\npartition: ").append(e.partition());
      t.append("\noffsets: ").append(first).append("\u2013").append(last);
      t.append("\nkeys: ").append(String.join(", ", someKeys)).append(keys > someKeys.size() ? ", \u2026 (" + keys + " keys)" : "");
      if (subjects > 0) t.append("\norders: ").append(String.join(", ", someSubjects))
          .append(subjects > someSubjects.size() ? ", \u2026 (" + subjects + " orders)" : "");
      return t.toString();
    }
  }

  private static String marker(Entry e, boolean dup) {
    if (e.failed()) return "head-failed";
    if (dup) return "head-dup";
    return switch (e.kind()) {
      case COMMITTED -> "head-commit";
      case CALL, ANSWER -> "head-call";
      case STATEMENT -> "head-db";
      default -> "head";
    };
  }

  private static String laneName(String id) {
    if (id.startsWith("partition ")) return id.substring("partition ".length());
    int group = id.indexOf('\u0000');
    return group < 0 ? id : id.substring(0, group) + " (group " + id.substring(group + 1) + ")";
  }

  private static String label(Entry e, boolean dup) {
    return switch (e.kind()) {
      case SENT, READ -> (dup ? "AGAIN " : "") + (e.key() == null ? "" : e.key() + " ")
          + (e.eventType() == null ? "" : e.eventType()) + (e.offset() >= 0 ? " @" + e.offset() : "");
      case COMMITTED -> "commit next " + e.offset();
      default -> e.eventType() == null ? "" : e.eventType();
    };
  }

  /** 1234 µs as "1.2". */
  private static String millis(long micros) {
    return micros / 1000 + "." + Math.abs(micros / 100 % 10);
  }

  private static String tooltip(Entry e, boolean dup, String corr, String ms) {
    StringBuilder t = new StringBuilder(e.kind().word());
    if (dup) t.append(" (read again: this group had read this record, or this event, before)");
    t.append(" at ").append(ms).append(" ms");
    if (e.actor() != null) {
      t.append("\nby: ").append(e.actor()).append(e.group() == null || e.group().equals(e.actor()) ? "" : " (group " + e.group() + ")");
    }
    if (e.peer() != null) t.append("\nto: ").append(e.peer());
    if (e.topic() != null) t.append("\ntopic: ").append(e.topic());
    if (e.partition() >= 0) t.append("\npartition: ").append(e.partition());
    if (e.offset() >= 0) t.append(e.kind() == Kind.COMMITTED ? "\nnext offset: " : "\noffset: ").append(e.offset());
    if (e.key() != null) t.append(e.kind() == Kind.STATEMENT ? "\nsql: " : "\nkey: ").append(e.key());
    if (e.subject() != null) t.append("\norder: ").append(e.subject());
    if (e.eventType() != null) t.append(e.kind() == Kind.SENT || e.kind() == Kind.READ ? "\nevent type: " : "\nwhat: ")
        .append(e.eventType());
    if (e.eventId() != null) t.append("\nevent id: ").append(e.eventId());
    if (corr != null) t.append("\ncorrelation id: ").append(corr);
    if (e.line() != null) t.append("\n").append(e.line());
    return t.toString();
  }

  static String correlationIn(String line) {
    if (line == null) return null;
    Matcher m = CORRELATION.matcher(line);
    return m.find() ? m.group(1) : null;
  }

  /** One colour per key, the same on every arrow of that key: one order's events are easy to follow. */
  static String keyColor(String key) {
    return "hsl(" + Math.floorMod(key.hashCode() * 47, 360) + ",65%,38%)";
  }


  // ---- text ------------------------------------------------------------------------------------

  private static void attr(StringBuilder sb, String name, String value) {
    if (value != null) sb.append(" data-").append(name).append("=\"").append(esc(value)).append('"');
  }

  /** Runs of spaces as one, as SVG shows them anyway (the text story aligns its columns with them). */
  static String squeeze(String s) {
    if (s.indexOf("  ") < 0) return s;
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != ' ' || sb.length() == 0 || sb.charAt(sb.length() - 1) != ' ') sb.append(c);
    }
    return sb.toString();
  }

  static String cut(String s, int max) {
    max = Math.max(max, 4);
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  static String esc(String s) {
    if (s == null) return "";
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c > 0xFF) {
        // As a character reference: the page stays one byte per character, quick to build and write.
        int cp = Character.codePointAt(s, i);
        sb.append("&#").append(cp).append(';');
        if (Character.isSupplementaryCodePoint(cp)) i++;
        continue;
      }
      switch (c) {
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        case '"' -> sb.append("&quot;");
        default -> {
          if (c < 0x20 && c != '\n' && c != '\t') sb.append(' ');
          else sb.append(c);
        }
      }
    }
    return sb.toString();
  }

  private static String markerDef(String id, String colour) {
    return "<marker id=\"" + id + "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\""
        + " markerWidth=\"9\" markerHeight=\"9\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\""
        + colour + "\"/></marker>";
  }

  private static String legendItem(int x, String classes, String marker, String text) {
    return "<g class=\"entry arrow " + classes + "\"><line x1=\"" + x + "\" y1=\"11\" x2=\"" + (x + 36)
        + "\" y2=\"11\" marker-end=\"url(#" + marker + ")\"/></g><text x=\"" + (x + 42) + "\" y=\"15\">" + text + "</text>";
  }

  private static final String MARKERS = "<defs>" + markerDef("head", "#455a64") + markerDef("head-commit", "#2e7d32")
      + markerDef("head-call", "#6a1b9a") + markerDef("head-dup", "#e65100") + markerDef("head-failed", "#c62828")
      + markerDef("head-db", "#00695c") + "</defs>";

  /** The legend's items, in its order: kind, the arrow's classes, its head, its text, the width it takes. */
  private static final String[][] LEGEND_ITEMS = {
      {"sent", "sent", "head", "sent / read (colour: key)", "226"},
      {"committed", "committed", "head-commit", "commit", "110"},
      {"call", "call", "head-call", "call / answer", "150"},
      {"dup", "read dup", "head-dup", "read again", "130"},
      {"failed", "failed", "head-failed", "failed", "100"},
      {"statement", "statement", "head-db", "database", "120"}};

  /** Which item of the legend an arrow is drawn as. */
  private static String legendKind(Entry e, boolean dup) {
    if (dup) return "dup";
    if (e.failed()) return "failed";
    return switch (e.kind()) {
      case COMMITTED -> "committed";
      case CALL, ANSWER -> "call";
      case STATEMENT -> "statement";
      default -> "sent";
    };
  }

  /**
   * The legend of the arrows the page draws, and only those (none: no legend); it also holds the
   * arrow heads every diagram of the page refers to.
   */
  static String legend(Set<String> drawn) {
    if (drawn.isEmpty()) return "";
    StringBuilder items = new StringBuilder();
    int x = 4;
    for (String[] item : LEGEND_ITEMS) {
      if (!drawn.contains(item[0])) continue;
      items.append(legendItem(x, item[1], item[2], item[3]));
      x += Integer.parseInt(item[4]);
    }
    return "<svg class=\"legend\" width=\"" + x + "\" height=\"22\">" + MARKERS + items + "</svg>";
  }

  /** A test with notes only: each as a line of a list (time, text), summarised past the limit as a diagram is. */
  private static void notes(StringBuilder sb, List<Entry> all, int head, int tailFrom) {
    sb.append("<ol class=\"notes\">\n");
    for (int i = 0; i < all.size(); i++) {
      if (i == head && tailFrom > head) {
        sb.append("<li class=\"gap\">&#8230; ").append(tailFrom - head).append(" entries not shown here: ")
            .append(esc(Findings.counts(all.subList(head, tailFrom)))).append("</li>\n");
        i = tailFrom - 1;
        continue;
      }
      Entry e = all.get(i);
      String text = e.line() != null ? e.line() : e.eventType() != null ? e.eventType() : e.kind().word();
      sb.append("<li class=\"entry ").append(e.kind().word()).append(e.failed() ? " failed" : "").append("\" data-kind=\"")
          .append(e.kind().word()).append("\"><span class=\"t\">").append(millis(e.micros())).append(" ms</span> ")
          .append(esc(text)).append("</li>\n");
    }
    sb.append("</ol>\n");
  }

  /** The page's style and script: files beside this one, put in the class path by the //FILES lines at its top. */
  private static final String CSS = resource("story.css");
  private static final String SCRIPT = resource("story.js");

  private static String resource(String name) {
    try (java.io.InputStream in = StoryPage.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("workbook/story/" + name + " is not on the class path: a run that compiles"
          + " shared/src itself must put there what the //FILES lines of its sources name (JBang's info tools lists them)");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
