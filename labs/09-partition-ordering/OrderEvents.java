import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import workbook.kafka.Clients;
import workbook.kafka.Json;

/**
 * Confirm, cancel and ship events for many orders, and the one decision that keeps each order's
 * events in order: the record's key. Kafka hashes the key to pick the partition.
 */
final class OrderEvents {
  /** One event of one order; {@code seq} is its place in that order's history (1, 2, 3, ...). */
  record OrderEvent(String eventId, String eventType, String orderId, String customerId, int seq) {}

  // What can happen to an order, in the order it happens.
  private static final List<List<String>> LIVES = List.of(
      List.of("order.confirmed", "order.shipped"),
      List.of("order.confirmed", "order.cancelled"),
      List.of("order.confirmed", "order.cancelled", "order.confirmed", "order.shipped"));

  private OrderEvents() {}

  /** The key of an event's record: every record with the same key goes to the same partition. */
  static String keyFor(OrderEvent event) {
    // TODO 1: key every event by its order id, so that one order's events share a partition and stay in order.
    return null;
  }

  static ProducerRecord<String, String> record(String topic, OrderEvent event) {
    return new ProducerRecord<>(topic, keyFor(event), Json.write(event));
  }

  /**
   * The shop's producer settings (every instance of the shop uses these). Kafka's default
   * partitioner hashes the key: the same key gives the same partition in every producer.
   */
  static Map<String, Object> producerConfig() {
    // Thousands of records would bury the timeline: the tests and the demo tell the story instead.
    return Clients.withoutTimeline(Clients.producerConfig("shop"));
  }

  /**
   * The events of {@code orders} orders, as the shop publishes them: each order's events in
   * their own order, different orders interleaved at random (the same for the same seed). A
   * quarter of the orders come from one big customer, a reseller; the rest from hundreds.
   */
  static List<OrderEvent> scenario(int orders, long seed) {
    Random random = new Random(seed);
    List<Deque<OrderEvent>> pending = new ArrayList<>();
    for (int n = 1; n <= orders; n++) {
      String customer = random.nextInt(4) == 0 ? "customer-001" : String.format("customer-%03d", 2 + random.nextInt(400));
      pending.add(life(String.format("order-%04d", n), customer, LIVES.get(random.nextInt(LIVES.size()))));
    }
    List<OrderEvent> events = new ArrayList<>();
    while (!pending.isEmpty()) {
      int i = random.nextInt(pending.size());
      Deque<OrderEvent> order = pending.get(i);
      events.add(order.poll());
      if (order.isEmpty()) { // swap with the last and drop it: the rest's order does not matter
        pending.set(i, pending.get(pending.size() - 1));
        pending.remove(pending.size() - 1);
      }
    }
    return events;
  }

  private static Deque<OrderEvent> life(String orderId, String customerId, List<String> types) {
    Deque<OrderEvent> events = new ArrayDeque<>();
    for (int i = 0; i < types.size(); i++) {
      events.add(new OrderEvent(UUID.randomUUID().toString(), types.get(i), orderId, customerId, i + 1));
    }
    return events;
  }
}
