import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import workbook.kafka.Timeline;

/**
 * The dual write, the way most services first publish events: save the order, then send the
 * event. Two systems, two writes, no transaction spanning both: when the broker is down the order
 * is saved and its event is gone. Read it, run it, do not copy it. (Nothing to edit here.)
 */
final class DualWrite {
  private final DataSource db;
  private final Producer<String, String> producer;
  private final String topic;

  DualWrite(DataSource db, Producer<String, String> producer, String topic) {
    this.db = db;
    this.producer = producer;
    this.topic = topic;
  }

  /** Saves the order (committed at once), then sends its event without waiting for the broker. */
  void place(OrderService.Order order) throws SQLException {
    try (Connection c = db.getConnection()) {
      OrderService.insertOrder(c, order); // auto-commit: the order is saved, whatever happens next
    }
    producer.send(new ProducerRecord<>(topic, order.id(), order.confirmedEvent()), (metadata, error) -> {
      // By the time this runs the caller has long been told "order placed". Nobody retries.
      if (error != null) Timeline.note("dual write: the event of " + order.id() + " is lost: " + error.getMessage());
    });
  }
}
