import java.util.List;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import workbook.kafka.Clients;

/**
 * The order service. Confirming an order publishes one order.confirmed event and returns: it
 * does not know who reacts, waits for nobody, and needs no change when a new service subscribes.
 */
final class Shop implements AutoCloseable {
  record Line(String sku, int quantity, int priceCents) {}

  record Order(String orderId, String customerEmail, List<Line> lines) {
    int totalCents() {
      return lines.stream().mapToInt(l -> l.quantity() * l.priceCents()).sum();
    }
  }

  private final Producer<String, String> producer;
  private final String topic;

  Shop(String topic) {
    this(topic, Clients.producer("shop"));
  }

  /** A shop that publishes with {@code producer} (the tests give it one whose answers they hold). */
  Shop(String topic, Producer<String, String> producer) {
    this.topic = topic;
    this.producer = producer;
  }

  /** Confirms an order for the user action {@code actionId}; returns the event it published. */
  Envelope confirm(Order order, String actionId) throws Exception {
    Envelope event = Envelope.first("order.confirmed", "shop", actionId, order);
    // Waiting for the broker's acknowledgement (not for any consumer) means: the event is safe.
    publish(producer, topic, event).get();
    return event;
  }

  /**
   * Sends one event and returns at once. The future completes when the broker has stored the
   * event; nobody has to have read it.
   */
  static Future<RecordMetadata> publish(Producer<String, String> producer, String topic, Envelope event) {
    // TODO 2: send the envelope as JSON (event.toJson()) to the topic, keyed by its order id (event.data().get("orderId")), and return send()'s future.
    throw new UnsupportedOperationException("TODO 2: publish the envelope to the topic (Shop.publish)");
  }

  @Override
  public void close() {
    producer.close();
  }
}
