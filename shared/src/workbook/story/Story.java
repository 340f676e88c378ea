package workbook.story;

import java.util.ArrayList;
import java.util.List;

/**
 * What happened during the current test, in order. Shared helpers (the Kafka timeline, gRPC's
 * CallStory, simulated services) record entries that say who did what (sent, read, committed,
 * call, answer, note) with the record's topic, partition, offset, key and event type; each entry
 * is also one text line. The launcher prints the lines under a failing test ("What happened, in
 * order") and draws the entries of every test as a sequence diagram (see {@link StoryPage}).
 * Recorders write through these static methods to the {@link Run} under way: the launcher starts
 * one per run of tests, so a warm JVM that runs a lab many times keeps each run's story apart.
 */
public final class Story {
  /** What an entry tells. */
  public enum Kind {
    SENT, READ, COMMITTED, CALL, ANSWER, NOTE,
    /** A database statement, commit or rollback: peer is the database, key the SQL, eventType its short form. */
    STATEMENT;

    private final String word = name().toLowerCase(java.util.Locale.ROOT);

    /** "sent", "read", "committed", "call", "answer", "note", "statement". */
    public String word() { return word; }
  }

  /**
   * One thing that happened: when (microseconds since the test started), in which test, who did
   * it ({@code actor}, with its consumer {@code group}), to whom ({@code peer}: the service called,
   * or the caller answered), where ({@code topic}, {@code partition}, {@code offset}; -1 if none),
   * what ({@code key}, {@code eventType}, {@code eventId}, {@code correlationId}, and {@code subject}: what the
   * event is about, e.g. the order id in its body), whether it failed, and its text line (null for an entry
   * that is drawn but not printed, e.g. a commit's second partition, or a record of a bulk load).
   */
  public record Entry(long micros, String test, Kind kind, String actor, String group, String peer, String topic,
      int partition, long offset, String key, String eventType, String eventId, String correlationId, boolean failed,
      String line, String subject, Records records) {}

  /**
   * A bulk load's records drawn as one entry (what one poll gave from one partition, or a run of
   * sends one partition acknowledged): how many, the last offset (the entry's offset is the first),
   * and their keys and subjects, each once. Recorded this way, thousands of records cost the page
   * a few dozen entries.
   */
  public record Records(int count, long lastOffset, List<String> keys, List<String> subjects) {}

  private static final java.util.Set<Runnable> FLUSHERS = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * A recorder that gathers entries before recording them (a run of acknowledgements) registers
   * how to record what it holds: {@link #entries()} calls it first, so nothing is left out.
   */
  public static void flushBefore(Runnable flush, boolean register) {
    if (register) FLUSHERS.add(flush);
    else FLUSHERS.remove(flush);
  }

  /** The run recorders write to now; each run of tests starts its own ({@link #startRun()}). */
  private static volatile Run current = new Run(null);

  private Story() {}

  /**
   * Starts a new story for a run of tests (the launcher calls this once per run, a warm JVM runs
   * many) and makes it the one every recorder writes to until it is closed; closing it gives the
   * story back to the run before it. Nothing of an earlier run (its lines, its entries, who was
   * acting on a thread) reaches this one.
   */
  public static Run startRun() {
    synchronized (Story.class) {
      Run run = new Run(current);
      current = run;
      return run;
    }
  }

  /** The story of the run under way. */
  public static Run current() {
    return current;
  }

  /**
   * Adds one line to the current test's story (kept to the first 200): a note. The same line
   * again right after itself is counted, not repeated: a retry loop reads as one line and a number.
   */
  public static void add(String line) {
    entry(Kind.NOTE, null).line(line).add();
  }

  /** {actor, group, the test it was set in}: who acts on this thread, for the test it was said in. */
  private static final ThreadLocal<Object[]> ACTING = new ThreadLocal<>();

  /**
   * Says who is at work on this thread from now on (a consumer that just read a record, with its
   * group): what this thread does next, e.g. in the database, is drawn on that lane.
   */
  public static void actingOnThisThread(String actor, String group) {
    Object[] now = ACTING.get();
    Object currentTest = current.testToken;
    if (now == null || !now[0].equals(actor) || !java.util.Objects.equals(now[1], group) || now[2] != currentTest) {
      ACTING.set(new Object[] {actor, group, currentTest});
    }
  }

  /**
   * Who is at work on this thread: {actor, group}, the consumer that last read a record on it in
   * this very test of this run (a thread can outlive a test and a run: JUnit and the warm runner
   * reuse threads), else the thread's name ("test" for the test's own thread) and no group.
   */
  public static String[] actorOnThisThread() {
    Object[] a = ACTING.get();
    if (a != null && a[2] == current.testToken) return new String[] {(String) a[0], (String) a[1]};
    String name = Thread.currentThread().getName();
    return new String[] {name.equals("main") || name.startsWith("junit") ? "test" : name, null};
  }

  /** Starts an entry: {@code Story.entry(Kind.SENT, "shop").topic(t).at(p, o).key(k).line(text).add()}. */
  public static Builder entry(Kind kind, String actor) {
    return new Builder(kind, actor);
  }

  /** Forgets the current story (the test's name stays). */
  public static void clear() {
    current.clear();
  }

  /** Starts the current run's next test: a new story, its clock at zero. */
  public static void begin(String testName) {
    current.begin(testName);
  }

  /** Returns the current story's lines so far and forgets the story. */
  public static List<String> drain() {
    return current.drain();
  }

  /** The current story's entries so far (a copy; the story goes on), with what recorders still held. */
  public static List<Entry> entries() {
    return current.entries();
  }

  /** How many entries of the current test were counted but not kept (past {@value #MAX_ENTRIES}). */
  public static int notKept() {
    return current.notKept();
  }

  /** Entries kept per test for the diagram; past this they are counted, and the page says so. */
  static final int MAX_ENTRIES = 50_000;
  private static final int MAX_LINES = 200;

  /**
   * The story of one run of tests: the current test's lines (what is printed under a failure)
   * and entries (what is drawn). One per run; {@link #close()} hands the story back to the run
   * that was current before it.
   */
  public static final class Run implements AutoCloseable {
    private final Run before;
    private final List<String> lines = new ArrayList<>();
    private final List<Entry> entries = new ArrayList<>();
    private int notKept;
    private String last;
    private int repeats;
    private volatile String test;
    /** A new object for each test: who acts on a thread is remembered for this test only. */
    private volatile Object testToken = new Object();
    private long startedAt = System.nanoTime();

    private Run(Run before) {
      this.before = before;
    }

    /** As each test starts: a new story, its clock at zero. */
    public synchronized void begin(String testName) {
      clear();
      test = testName;
      testToken = new Object();
      startedAt = System.nanoTime();
    }

    /** Forgets the story (the test's name stays). */
    public synchronized void clear() {
      lines.clear();
      entries.clear();
      notKept = 0;
      last = null;
      repeats = 0;
    }

    /** Returns the story's lines so far and forgets the story. */
    public synchronized List<String> drain() {
      flushRepeats();
      List<String> copy = new ArrayList<>(lines);
      clear();
      return copy;
    }

    /** The entries so far (a copy; the story goes on), with what recorders still held. */
    public List<Entry> entries() {
      for (Runnable flush : FLUSHERS) flush.run(); // outside the lock: a recorder takes its own lock first, then ours
      synchronized (this) {
        return new ArrayList<>(entries);
      }
    }

    /** How many entries of this test were counted but not kept (past {@value #MAX_ENTRIES}). */
    public synchronized int notKept() {
      return notKept;
    }

    /** Ends this run: recorders write to the run before it again (if this one is still current). */
    @Override public void close() {
      synchronized (Story.class) {
        if (current == this) current = before != null ? before : new Run(null);
      }
    }

    private synchronized void record(Builder b) {
      long micros = ((b.nanoTime != 0 ? b.nanoTime : System.nanoTime()) - startedAt) / 1000;
      if (entries.size() < MAX_ENTRIES) {
        entries.add(b.build(test, micros));
      } else {
        notKept++;
      }
      if (b.line == null) return;
      if (b.line.equals(last)) {
        repeats++;
        return;
      }
      flushRepeats();
      last = b.line;
      append(b.line);
    }

    private void append(String line) {
      if (lines.size() < MAX_LINES) lines.add(line);
      else if (lines.size() == MAX_LINES) lines.add("... (more left out)");
    }

    private void flushRepeats() {
      if (repeats > 0) append("  (the line above " + repeats + " more time" + (repeats == 1 ? "" : "s") + ")");
      repeats = 0;
    }
  }

  /** The parts of an entry, each optional; {@link #add()} records it. */
  public static final class Builder {
    private final Kind kind;
    private final String actor;
    private String group, peer, topic, key, eventType, eventId, correlationId, line, subject;
    private int partition = -1;
    private long offset = -1;
    private boolean failed;
    private long nanoTime;
    private Records records;

    private Builder(Kind kind, String actor) {
      this.kind = kind;
      this.actor = actor;
    }

    public Builder group(String group) { this.group = group; return this; }

    public Builder peer(String peer) { this.peer = peer; return this; }

    public Builder topic(String topic) { this.topic = topic; return this; }

    public Builder at(int partition, long offset) { this.partition = partition; this.offset = offset; return this; }

    public Builder key(String key) { this.key = key; return this; }

    public Builder eventType(String eventType) { this.eventType = eventType; return this; }

    /** The event's own id: two records with one eventId are one event twice (a duplicate). */
    public Builder eventId(String eventId) { this.eventId = eventId; return this; }

    public Builder correlationId(String correlationId) { this.correlationId = correlationId; return this; }

    /** Many records of a bulk load in one entry (see {@link Records}). */
    public Builder records(Records records) { this.records = records; return this; }

    /** What the event is about (the order id in its body): the page groups a bulk load's records by it. */
    public Builder subject(String subject) { this.subject = subject; return this; }

    public Builder failed(boolean failed) { this.failed = failed; return this; }

    /**
     * When it happened, if earlier than now (System.nanoTime()): a record is sent when the
     * application hands it over, though its partition and offset are known only at the broker's answer.
     */
    public Builder when(long nanoTime) { this.nanoTime = nanoTime; return this; }

    /** The text line printed under a failing test; without one, the entry is only drawn. */
    public Builder line(String line) { this.line = line; return this; }

    /** Records the entry in the current run's story. */
    public void add() { current.record(this); }

    /** The entry itself, recorded nowhere: for a page drawn from entries of its own (the page's warm-up, its tests). */
    public Entry build(String test, long micros) {
      return new Entry(micros, test, kind, actor, group, peer, topic, partition, offset, key, eventType, eventId, correlationId,
          failed, line, subject, records);
    }
  }
}
