///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES OrderEvents.java Workers.java Handled.java ../../shared/src/workbook/kafka/*.java

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import workbook.kafka.Clients;
import workbook.kafka.Json;
import workbook.kafka.Poll;
import workbook.kafka.Topics;

/**
 * The demo: the same thousands of order events, handled by three parallel workers, published
 * once without a key and once with yours. Only a key per order keeps every order in order.
 */
public class Ordering {
  static final int PARTITIONS = 6;
  static final int WORKERS = 3;
  static final int ORDERS = 1000;

  public static void main(String[] args) throws Exception {
    if (args.length > 0) {
      System.err.println("Usage: ./jbang lab09@.   (it takes no arguments)");
      System.exit(2);
    }
    List<OrderEvents.OrderEvent> events = OrderEvents.scenario(ORDERS, 9);
    System.out.printf("Lab 09: %d events (confirm, cancel, ship) for %d orders, a topic with %d partitions, %d workers.%n",
        events.size(), ORDERS, PARTITIONS, WORKERS);
    run("Without a key", events, (topic, e) -> new ProducerRecord<>(topic, null, Json.write(e)));
    String key = String.valueOf(OrderEvents.keyFor(events.get(0)));
    run("With your key (OrderEvents.keyFor gives \"" + key + "\" for " + events.get(0).orderId() + ")", events,
        OrderEvents::record);
    if (key.equals("null")) System.out.println("\nkeyFor returns null: the same as no key. That is TODO 1.");
  }

  static void run(String title, List<OrderEvents.OrderEvent> events,
      BiFunction<String, OrderEvents.OrderEvent, ProducerRecord<String, String>> toRecord) throws Exception {
    String topic = Topics.fresh("order-events", PARTITIONS);
    Handled handled = new Handled();
    try (Workers workers = new Workers(topic, WORKERS, handled)) {
      workers.awaitSettled(PARTITIONS, Duration.ofSeconds(30));
      Map<Integer, Integer> perPartition = publish(topic, events, toRecord);
      Poll.until(() -> handled.count() >= events.size(), Duration.ofSeconds(30),
          () -> "the workers handled " + handled.count() + " of " + events.size() + " events");
      System.out.printf("%n%s:%n  events per partition  %s%n", title, perPartition.entrySet().stream()
          .map(e -> "p" + e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")));
      workers.held().forEach((w, p) -> System.out.printf("  %s holds %-12s and handled %d%n", w,
          p.stream().map(n -> "p" + n).collect(Collectors.joining(" ")), handled.perWorker().getOrDefault(w, 0)));
      report(handled);
    }
  }

  private static void report(Handled handled) {
    if (handled.duplicates() > 0) {
      System.out.printf("  %d events were handled more than once: each worker is in a group of its own (TODO 2)%n",
          handled.duplicates());
    }
    System.out.printf("  orders handled out of order: %d of %d%n", handled.invertedOrders(), ORDERS);
    handled.examples().forEach(e -> System.out.println("    e.g. " + e));
  }

  /** Sends every event and returns how many landed on each partition (from the acknowledgements). */
  static Map<Integer, Integer> publish(String topic, List<OrderEvents.OrderEvent> events,
      BiFunction<String, OrderEvents.OrderEvent, ProducerRecord<String, String>> toRecord) throws Exception {
    Map<Integer, Integer> perPartition = new TreeMap<>();
    for (int p = 0; p < PARTITIONS; p++) perPartition.put(p, 0);
    try (KafkaProducer<String, String> producer = Clients.producer(OrderEvents.producerConfig())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (OrderEvents.OrderEvent e : events) sent.add(producer.send(toRecord.apply(topic, e)));
      for (Future<RecordMetadata> f : sent) perPartition.merge(f.get().partition(), 1, Integer::sum);
    }
    return perPartition;
  }
}
