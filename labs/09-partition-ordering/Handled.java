import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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

  private final Set<String> eventIds = new HashSet<>();
  private final Map<String, Seen> latest = new HashMap<>();
  private final Set<String> invertedOrders = new HashSet<>();
  private final List<String> examples = new ArrayList<>();
  private final Map<String, Integer> perWorker = new TreeMap<>();
  private int duplicates;

  /** Called by a worker for each record, in the order it handles them (one at a time). */
  synchronized void add(String worker, ConsumerRecord<String, String> record) {
    OrderEvents.OrderEvent event = Json.read(record.value(), OrderEvents.OrderEvent.class);
    if (!eventIds.add(event.eventId())) {
      duplicates++; // the same event again (another group, or a redelivery): not an inversion
      return;
    }
    perWorker.merge(worker, 1, Integer::sum);
    Seen now = new Seen(event, record.partition(), record.offset(), worker);
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

  /** Orders with at least one event handled after a later event of the same order. */
  synchronized int invertedOrders() { return invertedOrders.size(); }

  /** Up to three inversions, in words. */
  synchronized List<String> examples() { return List.copyOf(examples); }

  /** How many different events each worker handled. */
  synchronized Map<String, Integer> perWorker() { return new TreeMap<>(perWorker); }
}
