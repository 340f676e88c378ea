import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import workbook.kafka.Json;

/**
 * Every event the workers handled, in the order they handled it, across all workers. An order's
 * event handled after a later event of the same order (a lower seq) is an inversion: the order
 * would be shipped and then confirmed, or confirmed after it was cancelled.
 */
final class Handled {
  /** One handled event and where it came from. */
  record Seen(OrderEvents.OrderEvent event, int partition, long offset, String worker) {
    @Override public String toString() {
      return event.eventType().replace("order.", "") + " #" + event.seq() + " (p" + partition + "@" + offset + ", " + worker + ")";
    }
  }

  /** Called before each record is handled, on the handling thread: a test's faults and pauses (nothing by default). */
  interface Before {
    void handling(String worker, ConsumerRecord<String, String> record);
  }

  private final long workNanos;
  private final Handled root; // a view of another Handled (see named) shares its record of what was handled
  private final String prefix;
  private volatile Before before = (worker, record) -> { };
  private final Set<String> eventIds = new HashSet<>();
  private final Map<String, Seen> latest = new HashMap<>();
  private final Set<String> invertedOrders = new HashSet<>();
  private final List<String> examples = new ArrayList<>();
  private final Map<String, Integer> perWorker = new TreeMap<>();
  private final Map<String, Set<Integer>> partitionsOfOrder = new HashMap<>();
  private final Map<Integer, Seen> lastOfPartition = new HashMap<>();
  private final List<String> partitionDisorder = new ArrayList<>();
  private final List<String> redelivered = new ArrayList<>();
  private final Map<Integer, BitSet> offsetsHandled = new HashMap<>();
  private int partitionDisorderCount;
  private int duplicates;

  /** Handling takes no time. */
  Handled() {
    this(Duration.ZERO);
  }

  /** Handling each event takes {@code work} (a database write, an email), as real handlers do. */
  Handled(Duration work) {
    this.workNanos = work.toNanos();
    this.root = this;
    this.prefix = "";
  }

  private Handled(Handled root, String prefix) {
    this.workNanos = root.workNanos;
    this.root = root;
    this.prefix = prefix;
  }

  /**
   * The same record of what was handled, for another set of workers: their worker-1 is counted as
   * {@code prefix + "worker-1"}, so that workers started later (a restart, one more worker) are told apart.
   */
  Handled named(String prefix) {
    return new Handled(root, prefix + this.prefix);
  }

  /** Runs {@code before} ahead of handling each record, with the worker's full name. */
  void before(Before before) {
    root.before = before;
  }

  /** Called by a worker for each record, in the order it handles them. */
  void add(String worker, ConsumerRecord<String, String> record) {
    if (root != this) {
      root.add(prefix + worker, record);
      return;
    }
    before.handling(worker, record);
    if (workNanos > 0) LockSupport.parkNanos(workNanos); // the work itself, before it counts as handled
    done(worker, record);
  }

  private synchronized void done(String worker, ConsumerRecord<String, String> record) {
    OrderEvents.OrderEvent event = Json.read(record.value(), OrderEvents.OrderEvent.class);
    Seen now = new Seen(event, record.partition(), record.offset(), worker);
    offsetsHandled.computeIfAbsent(record.partition(), p -> new BitSet()).set((int) record.offset());
    if (!eventIds.add(event.eventId())) {
      duplicates++; // the same event again (another group, or a redelivery): counted apart
      if (redelivered.size() < 3) redelivered.add(event.orderId() + ": " + now + " was handled a second time");
      return;
    }
    perWorker.merge(worker, 1, Integer::sum);
    partitionsOfOrder.computeIfAbsent(event.orderId(), k -> new TreeSet<>()).add(record.partition());
    Seen last = lastOfPartition.get(record.partition());
    if (last != null && last.offset() > record.offset()) {
      partitionDisorderCount++;
      if (partitionDisorder.size() < 3) partitionDisorder.add(last + " was handled before " + now);
    } else {
      lastOfPartition.put(record.partition(), now);
    }
    Seen before = latest.get(event.orderId());
    if (before != null && before.event().seq() > event.seq()) {
      invertedOrders.add(event.orderId());
      if (examples.size() < 3) examples.add(event.orderId() + ": " + before + " was handled before " + now);
    } else {
      latest.put(event.orderId(), now);
    }
  }

  /** Different events handled (each counted once). */
  int count() {
    if (root != this) return root.count();
    synchronized (this) { return eventIds.size(); }
  }

  /** Events handled a second time or more. */
  int duplicates() {
    if (root != this) return root.duplicates();
    synchronized (this) { return duplicates; }
  }

  /** Up to three events handled a second time, in words. */
  List<String> redelivered() {
    if (root != this) return root.redelivered();
    synchronized (this) { return List.copyOf(redelivered); }
  }

  /** Orders with at least one event handled after a later event of the same order. */
  int invertedOrders() {
    if (root != this) return root.invertedOrders();
    synchronized (this) { return invertedOrders.size(); }
  }

  /** Up to three inversions, in words. */
  List<String> examples() {
    if (root != this) return root.examples();
    synchronized (this) { return List.copyOf(examples); }
  }

  /** Orders whose events came from more than one partition, as "order-0007 on p1,p4". */
  List<String> scatteredOrders() {
    if (root != this) return root.scatteredOrders();
    synchronized (this) { return scatteredOrders0(); }
  }

  private List<String> scatteredOrders0() {
    return partitionsOfOrder.entrySet().stream().filter(e -> e.getValue().size() > 1).sorted(Map.Entry.comparingByKey())
        .map(e -> e.getKey() + " on p" + String.join(",p", e.getValue().stream().map(String::valueOf).toList())).toList();
  }

  /** Records handled after a later record of the same partition (a higher offset). */
  int partitionDisorder() {
    if (root != this) return root.partitionDisorder();
    synchronized (this) { return partitionDisorderCount; }
  }

  /** Up to three of them, in words. */
  List<String> partitionDisorderExamples() {
    if (root != this) return root.partitionDisorderExamples();
    synchronized (this) { return List.copyOf(partitionDisorder); }
  }

  /** The lowest offset of {@code partition} that no worker has handled yet. */
  long firstUnhandled(int partition) {
    if (root != this) return root.firstUnhandled(partition);
    synchronized (this) {
      BitSet handled = offsetsHandled.get(partition);
      return handled == null ? 0 : handled.nextClearBit(0);
    }
  }

  /** How many different events each worker handled. */
  Map<String, Integer> perWorker() {
    if (root != this) return root.perWorker();
    synchronized (this) { return new TreeMap<>(perWorker); }
  }
}
