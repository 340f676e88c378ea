///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Inventory.java ../../shared/src/workbook/db/*.java ../../shared/src/workbook/kafka/*.java ../../shared/src/workbook/demo/*.java

import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import workbook.db.Db;
import workbook.demo.Stages;
import workbook.kafka.Clients;
import workbook.kafka.Json;
import workbook.kafka.Poll;
import workbook.kafka.Topics;
import workbook.story.Story;

/**
 * The inventory service's consumer: at-least-once delivery made safe. It commits a record's
 * offset only after the record's effect is committed in the database, so a crash means the record
 * comes again (never that it is lost), and Inventory.apply makes the second delivery harmless.
 */
public final class InventoryConsumer implements AutoCloseable {
  private final Consumer<String, String> consumer;
  private final Inventory inventory;

  InventoryConsumer(Inventory inventory, String topic, String groupId, String name) {
    this.inventory = inventory;
    Map<String, Object> config = Clients.consumerConfig(groupId, name);
    // Commit by hand, after the database commit. Auto-commit can commit an offset whose record
    // was never applied (the consumer dies in between): that event would be lost for this group.
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    KafkaConsumer<String, String> kafka = Clients.consumer(config);
    Clients.subscribe(kafka, topic);
    this.consumer = kafka;
  }

  /** A consumer that reads through {@code consumer}, already subscribed (the tests give it one they drive). */
  InventoryConsumer(Inventory inventory, Consumer<String, String> consumer) {
    this.inventory = inventory;
    this.consumer = consumer;
  }

  /**
   * Polls once, applies every record, then commits; returns how many records it read. When an
   * apply fails it throws and commits nothing: close this consumer and start a new one, which
   * starts again from the last committed offset.
   */
  int pollOnce(Duration timeout) throws SQLException {
    // TODO 2: poll, apply every record (Inventory.OrderConfirmed.fromJson(value)), and only then commitSync().
    throw new UnsupportedOperationException("TODO 2: poll, apply each record, then commit the offsets");
  }

  @Override
  public void close() { consumer.close(CloseOptions.timeout(Duration.ofSeconds(5))); }

  /** The demo: a duplicate from the producer, a consumer that dies before committing, a restart. */
  public static void main(String[] args) throws Exception {
    System.out.println("Lab 11: Idempotent consumer.");
    try (Db db = Db.fresh("lab11-demo").execute(Inventory.SCHEMA + ";\nINSERT INTO stock VALUES ('sku-1', 100)");
        KafkaProducer<String, String> producer = Clients.producer("order-service")) {
      Inventory inventory = new Inventory(db.dataSource());
      String topic = Topics.fresh("orders", 1);
      String group = Topics.unique("inventory");
      say("stock of sku-1: " + inventory.stock("sku-1"));
      publish(producer, topic);
      if (!Stages.runWithTimeline("- inventory-1 applies every event, then dies before committing", () -> crashAfterApplying(inventory, topic, group))) return;
      if (!Stages.runWithTimeline("- inventory-2 starts in the same group: Kafka delivers everything again", () -> catchUp(inventory, topic, group))) return;
      say("stock of sku-1: " + inventory.stock("sku-1") + " (100 - 1 - 2 - 3: each event once)");
    }
  }

  /** e-1, e-2, e-3, and e-1 once more, as a relay restarted between ack and mark would send it. */
  private static void publish(KafkaProducer<String, String> producer, String topic) throws Exception {
    String[] ids = {"e-1", "e-2", "e-3", "e-1"};
    for (String id : ids) {
      int n = Integer.parseInt(id.substring(2));
      String json = Json.write(new Inventory.OrderConfirmed(id, "order.confirmed", "o-" + n, "sku-1", n));
      producer.send(new ProducerRecord<>(topic, "o-" + n, json)).get();
    }
    say("order-service published " + String.join(", ", ids));
    Story.drain().forEach(line -> say("    " + line));
  }

  private static void crashAfterApplying(Inventory inventory, String topic, String group) throws Exception {
    Map<String, Object> config = Clients.consumerConfig(group, "inventory-1");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<String, String> consumer = Clients.consumer(config)) {
      Clients.subscribe(consumer, topic);
      for (ConsumerRecord<String, String> r : Poll.records(consumer, 4, Duration.ofSeconds(15))) {
        Inventory.OrderConfirmed event = Inventory.OrderConfirmed.fromJson(r.value());
        boolean applied = inventory.apply(event);
        say("  inventory-1: " + event.eventId() + (applied ? " took " + event.quantity() : " already processed, skipped"));
      }
    } // closed without a commit: the crash
  }

  private static void catchUp(Inventory inventory, String topic, String group) throws Exception {
    try (InventoryConsumer consumer = new InventoryConsumer(inventory, topic, group, "inventory-2")) {
      int read = 0;
      for (long end = System.nanoTime() + 15_000_000_000L; read < 4 && System.nanoTime() < end; ) {
        read += consumer.pollOnce(Duration.ofMillis(200));
      }
      say("  inventory-2 read " + read + " records");
    }
  }

  private static void say(String line) { System.out.println(line); }
}
