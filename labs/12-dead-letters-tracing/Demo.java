///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES OrderSystem.java ../../shared/src/workbook/demo/*.java

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import workbook.demo.Stages;
import workbook.kafka.Clients;
import workbook.kafka.Topics;

/**
 * Lab 12's demo: four orders, two of them poison, then what the dead-letter topic holds and the
 * story a correlation id tells across REST, gRPC and Kafka.
 */
public final class Demo {
  public static void main(String[] args) throws Exception {
    if (args.length > 0) {
      System.err.println("Usage: ./jbang lab12@.   (it takes no arguments)");
      System.exit(2);
    }
    try (OrderSystem shop = new OrderSystem(); var legacy = Clients.producer("legacy-importer")) {
      System.out.println("Lab 12: dead letters and tracing. Gateway " + shop.url() + ", topic " + shop.topic + "\n");
      OrderSystem.Placed first = place(shop, new OrderSystem.NewOrder("order-1", "espresso-cup", 2), "checkout-7f3a");
      OrderSystem.Placed teapot = place(shop, new OrderSystem.NewOrder("order-2", "teapot", 1), null);
      // A buggy producer elsewhere writes half a JSON document straight to the topic.
      legacy.send(new ProducerRecord<>(shop.topic, "order-3", "{\"orderId\": \"order-3\", \"sku\": ")).get();
      System.out.println("legacy-importer wrote order-3 straight to the topic: half a JSON document");
      place(shop, new OrderSystem.NewOrder("order-4", "grinder", 1), null);
      awaitStock(shop, List.of("order-1", "order-4"));
      showDeadLetters(shop);
      showChain(shop, "order-1", first.correlationId());
      showChain(shop, "order-2 (a dead letter: who sent it?)", teapot.correlationId());
    }
  }

  private static OrderSystem.Placed place(OrderSystem shop, OrderSystem.NewOrder order, String correlation)
      throws Exception {
    OrderSystem.Placed placed = shop.post(order, correlation);
    System.out.printf("POST /orders %s (%s) -> %d, X-Correlation-Id: %s%n", order.orderId(), order.sku(),
        placed.status(), placed.correlationId());
    return placed;
  }

  /** Waits at most 15 s for the stock service, and says so if its partition is stuck. */
  private static void awaitStock(OrderSystem shop, List<String> orders) throws InterruptedException {
    long deadline = System.nanoTime() + 15_000_000_000L;
    while (!shop.stock.reserved().containsAll(orders) && shop.stock.mostAttempts() < 10
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    System.out.println("\nstock reserved: " + shop.stock.reserved());
    if (shop.stock.mostAttempts() > 0) {
      System.out.println("  stuck: one record failed " + shop.stock.mostAttempts() + " times, and every record"
          + " behind it waits (TODO 1: dead-letter it)");
    }
  }

  private static void showDeadLetters(OrderSystem shop) {
    List<ConsumerRecord<String, String>> letters = Topics.readAll(shop.deadLetterTopic);
    System.out.println("\n" + shop.deadLetterTopic + ": " + letters.size() + " dead letter(s)");
    for (ConsumerRecord<String, String> letter : letters) {
      System.out.println("  " + letter.key() + " " + letter.value());
      letter.headers().forEach(h ->
          System.out.println("      " + h.key() + ": " + new String(h.value(), StandardCharsets.UTF_8)));
    }
  }

  private static void showChain(OrderSystem shop, String title, String correlationId) throws Exception {
    Stages.run("\nthe chain of " + title + ", correlation id " + correlationId + ":",
        () -> shop.trace.chain(correlationId).forEach(hop -> System.out.println("  " + hop)));
  }
}
