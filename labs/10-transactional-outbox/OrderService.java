///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES OutboxRelay.java DualWrite.java OrdersTopic.java ../../shared/src/workbook/db/*.java ../../shared/src/workbook/kafka/*.java ../../shared/src/workbook/demo/*.java

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.UUID;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import workbook.db.Db;
import workbook.demo.Stages;
import workbook.kafka.Broker;
import workbook.kafka.EmbeddedKafka;
import workbook.kafka.Json;

/**
 * Placing an order with a transactional outbox: the order row and the event it owes the rest of
 * the world are written in one database transaction, so one never exists without the other.
 */
public final class OrderService {
  static final String SCHEMA = """
      CREATE TABLE orders (
        id VARCHAR(40) PRIMARY KEY,
        sku VARCHAR(40) NOT NULL,
        quantity INT NOT NULL
      );
      CREATE TABLE outbox (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        topic VARCHAR(200) NOT NULL,
        message_key VARCHAR(200),
        payload VARCHAR NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
        sent_at TIMESTAMP WITH TIME ZONE
      )""";
  // The outbox id grows with every insert: the relay publishes in that order. sent_at stays NULL
  // until the broker has acknowledged the event. (KEY is a reserved word in H2: message_key.)

  record Order(String id, String sku, int quantity) {
    /**
     * A new order.confirmed event for this order, as JSON. Its random eventId is written into the
     * outbox once, so every copy the relay ever sends carries the same id (lab 11 relies on it).
     */
    String confirmedEvent() {
      return Json.write(new OrderConfirmed(UUID.randomUUID().toString(), "order.confirmed", id, sku, quantity));
    }
  }

  record OrderConfirmed(String eventId, String eventType, String orderId, String sku, int quantity) {}

  private final DataSource db;
  private final String topic;

  OrderService(DataSource db, String topic) {
    this.db = db;
    this.topic = topic;
  }

  /** Saves the order and its order.confirmed outbox row: both, or (with an exception) neither. */
  void place(Order order) throws SQLException {
    // TODO 1: insert the order row and its outbox row in ONE transaction (use insertOrder and insertOutbox).
    throw new UnsupportedOperationException("TODO 1: write the order and its outbox row in one transaction");
  }

  static void insertOrder(Connection c, Order order) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO orders (id, sku, quantity) VALUES (?, ?, ?)")) {
      s.setString(1, order.id());
      s.setString(2, order.sku());
      s.setInt(3, order.quantity());
      s.executeUpdate();
    }
  }

  static void insertOutbox(Connection c, String topic, String key, String payload) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "INSERT INTO outbox (topic, message_key, payload) VALUES (?, ?, ?)")) {
      s.setString(1, topic);
      s.setString(2, key);
      s.setString(3, payload);
      s.executeUpdate();
    }
  }

  /** The demo: during an outage, o-1 goes through the dual write, o-2 and o-3 through the outbox. */
  public static void main(String[] args) throws Exception {
    System.out.println("Lab 10: Transactional outbox. Starting a Kafka broker of our own (we will stop it).");
    try (EmbeddedKafka kafka = Broker.startOwn(); Db db = Db.fresh("lab10-demo").execute(SCHEMA);
        KafkaProducer<String, String> producer = OutboxRelay.producer(kafka.bootstrapServers(), "order-service")) {
      String topic = OrdersTopic.create(kafka.bootstrapServers(), "orders");
      OrderService service = new OrderService(db.dataSource(), topic);
      OutboxRelay relay = new OutboxRelay(db.dataSource(), producer);
      kafka.stop();
      say("\nThe broker is DOWN.");
      boolean done = Stages.runWithTimeline("- dual write o-1", () -> new DualWrite(db.dataSource(), producer, topic).place(order("o-1")))
          && Stages.runWithTimeline("- outbox: place o-2 and o-3", () -> { service.place(order("o-2")); service.place(order("o-3")); })
          && Stages.runWithTimeline("- relay pass", () -> say("published " + relay.relayOnce() + ", pending " + relay.pending().size()));
      if (!done) return;
      kafka.startAgain();
      say("\nThe broker is BACK.");
      Stages.runWithTimeline("- relay passes until the outbox is empty", () -> catchUp(relay));
      say("\nOn the topic, oldest first (no o-1: the dual write lost it):");
      OrdersTopic.readAll(kafka.bootstrapServers(), topic).forEach(r -> say("  " + r.key() + "  " + r.value()));
    }
  }

  private static Order order(String id) { return new Order(id, "sku-1", 1); }

  private static void catchUp(OutboxRelay relay) throws Exception {
    for (int pass = 1; pass <= 10 && !relay.pending().isEmpty(); pass++) {
      say("pass " + pass + ": published " + relay.relayOnce());
    }
  }

  private static void say(String line) { System.out.println(line); }
}
