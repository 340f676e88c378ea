import java.time.Duration;
import java.util.ArrayList;
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

  private final long workNanos;
  private final Set<String> eventIds = new HashSet<>();
  private final Map<String, Seen> latest = new HashMap<>();
  private final Set<String> invertedOrders = new HashSet<>();
  private final List<String> examples = new ArrayList<>();
  private final Map<String, Integer> perWorker = new TreeMap<>();
  private final Map<String, Set<Integer>> partitionsOfOrder = new HashMap<>();
  private final Map<Integer, Seen> lastOfPartition = new HashMap<>();
  private final List<String> partitionDisorder = new ArrayList<>();
  private final List<String> redelivered = new ArrayList<>();
  private int partitionDisorderCount;
  private int duplicates;

  /** Handling takes no time. */
  Handled() {
    this(Duration.ZERO);
  }

  /** Handling each event takes {@code work} (a database write, an email), as real handlers do. */
  Handled(Duration work) {
    this.workNanos = work.toNanos();
  }

  /** Called by a worker for each record, in the order it handles them. */
  void add(String worker, ConsumerRecord<String, String> record) {
    if (workNanos > 0) LockSupport.parkNanos(workNanos); // the work itself, before it counts as handled
    done(worker, record);
  }

  private synchronized void done(String worker, ConsumerRecord<String, String> record) {
    OrderEvents.OrderEvent event = Json.read(record.value(), OrderEvents.OrderEvent.class);
    Seen now = new Seen(event, record.partition(), record.offset(), worker);
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
  synchronized int count() { return eventIds.size(); }

  /** Events handled a second time or more. */
  synchronized int duplicates() { return duplicates; }

  /** Up to three events handled a second time, in words. */
  synchronized List<String> redelivered() { return List.copyOf(redelivered); }

  /** Orders with at least one event handled after a later event of the same order. */
  synchronized int invertedOrders() { return invertedOrders.size(); }

  /** Up to three inversions, in words. */
  synchronized List<String> examples() { return List.copyOf(examples); }

  /** Orders whose events came from more than one partition, as "order-0007 on p1,p4". */
  synchronized List<String> scatteredOrders() {
    return partitionsOfOrder.entrySet().stream().filter(e -> e.getValue().size() > 1).sorted(Map.Entry.comparingByKey())
        .map(e -> e.getKey() + " on p" + String.join(",p", e.getValue().stream().map(String::valueOf).toList())).toList();
  }

  /** Records handled after a later record of the same partition (a higher offset). */
  synchronized int partitionDisorder() { return partitionDisorderCount; }

  /** Up to three of them, in words. */
  synchronized List<String> partitionDisorderExamples() { return List.copyOf(partitionDisorder); }

  /** How many different events each worker handled. */
  synchronized Map<String, Integer> perWorker() { return new TreeMap<>(perWorker); }
}
