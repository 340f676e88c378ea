///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Envelope.java Shop.java Service.java Reactions.java ../../shared/src/workbook/kafka/*.java ../../shared/src/workbook/demo/*.java

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import workbook.demo.Stages;
import workbook.kafka.Poll;
import workbook.kafka.Topics;

/**
 * The demo: the shop publishes order.confirmed and moves on; inventory, notification, analytics
 * and shipping react, each in its own consumer group; a late service replays the log.
 */
public class FanOut {
  static final List<Shop.Order> ORDERS = List.of(
      new Shop.Order("o-1001", "ada@example.com", List.of(new Shop.Line("mug", 2, 1250))),
      new Shop.Order("o-1002", "grace@example.com", List.of(new Shop.Line("tee", 1, 2200), new Shop.Line("mug", 1, 1250))),
      new Shop.Order("o-1003", "alan@example.com", List.of(new Shop.Line("cap", 3, 1800))),
      new Shop.Order("o-1004", "edsger@example.com", List.of(new Shop.Line("mug", 4, 1250))),
      new Shop.Order("o-1005", "barbara@example.com", List.of(new Shop.Line("tee", 2, 2200))));

  public static void main(String[] args) throws Exception {
    if (args.length > 0) {
      System.err.println("Usage: ./jbang lab08@.   (it takes no arguments)");
      System.exit(2);
    }
    Stages.run(() -> run(Topics.fresh("orders", 3)));
  }

  static void run(String topic) throws Exception {
    var inventory = new Reactions.Inventory();
    var notification = new Reactions.Notification();
    var analytics = new Reactions.Analytics();
    var shipping = new Reactions.Shipping();
    System.out.println("Lab 08: topic " + topic + " (3 partitions); four services subscribe, in groups "
        + List.of("inventory", "notification", "analytics", "shipping").stream().map(Service::groupFor).toList());
    try (Shop shop = new Shop(topic);
        Service a = Service.start("inventory", topic, inventory);
        Service b = Service.start("notification", topic, notification);
        Service c = Service.start("analytics", topic, analytics);
        Service d = Service.start("shipping", topic, shipping)) {
      Envelope first = confirmAndWatch(shop, inventory);
      for (Shop.Order order : ORDERS.subList(1, ORDERS.size())) shop.confirm(order, "checkout-" + order.orderId());
      waitFor(() -> shipping.requested().size() + analytics.conversions() >= 2 * ORDERS.size(), 5);
      report(inventory, notification, analytics, shipping);
      replay(topic, inventory);
      chain(first, shipping);
    }
    System.out.println("\nConsumer groups, lag = events not yet read and committed:");
    for (String s : List.of("inventory", "notification", "analytics", "shipping", "inventory-v2")) {
      System.out.printf("  %-14s %d%n", Service.groupFor(s), Topics.lag(Service.groupFor(s), topic));
    }
  }

  /** E1 and E4: the shop returns as soon as the broker has the event; inventory catches up later. */
  static Envelope confirmAndWatch(Shop shop, Reactions.Inventory inventory) throws Exception {
    int before = inventory.stock("mug");
    Envelope first = shop.confirm(ORDERS.get(0), "checkout-o-1001");
    long published = System.nanoTime();
    int right = inventory.stock("mug");
    System.out.println("\nConfirmed o-1001 (2 mugs): the broker has the event; the shop waited for no service.");
    System.out.printf("  right after publishing, inventory says mug = %d%s%n", right, right == before ? " (stale)" : "");
    boolean caughtUp = waitFor(() -> inventory.stock("mug") == before - 2, 5);
    System.out.printf("  %d ms later: mug = %d%s%n", (System.nanoTime() - published) / 1_000_000,
        inventory.stock("mug"), caughtUp ? "" : " (inventory never read it: is it in a group of its own? TODO 3)");
    return first;
  }

  /** E2: the same events, four different reactions, none of which the shop knows about. */
  static void report(Reactions.Inventory inventory, Reactions.Notification notification,
      Reactions.Analytics analytics, Reactions.Shipping shipping) {
    System.out.printf("%nWhat each service did with the same %d events:%n", ORDERS.size());
    System.out.printf("  inventory     stock %s%n", inventory.stock());
    System.out.printf("  notification  %d emails%n", notification.sent().size());
    System.out.printf("  analytics     %d conversions, revenue %.2f%n", analytics.conversions(), analytics.revenueCents() / 100.0);
    System.out.printf("  shipping      %d shipments requested%n", shipping.requested().size());
  }

  /** E3: a service that did not exist when the events were published rebuilds its state from the log. */
  static void replay(String topic, Reactions.Inventory original) {
    Map<Integer, Long> end = Topics.endOffsets(topic);
    var rebuilt = new Reactions.Inventory();
    System.out.println("\nA new service, inventory-v2, starts now and reads the log in its own group:");
    try (Service late = Service.start("inventory-v2", topic, rebuilt)) {
      waitFor(() -> late.seen().size() >= ORDERS.size(), 3);
      System.out.printf("  it read %d of %d events (it started at %s) and rebuilt %s%n", late.seen().size(),
          ORDERS.size(), late.seen().isEmpty() ? "the end of the log: TODO 4" : "the oldest one",
          rebuilt.stock().equals(original.stock()) ? "the same stock" : "a different stock: " + rebuilt.stock());
    }
    System.out.println("  the producer sent nothing for it: the topic holds " + Topics.endOffsets(topic).values().stream()
        .mapToLong(Long::longValue).sum() + " records, as before (" + end.values().stream().mapToLong(Long::longValue).sum() + ")");
  }

  /** E7: one correlation id ties the user's action, the order and the shipment together. */
  static void chain(Envelope first, Reactions.Shipping shipping) {
    System.out.println("\nEverything caused by the user action " + first.correlationId() + ":");
    System.out.printf("  %-19s %s  caused by %s  from %s%n", first.eventType(), Envelope.shortId(first.eventId()),
        first.causationId(), first.source());
    shipping.requested().stream().filter(e -> first.eventId().equals(e.causationId())).forEach(e ->
        System.out.printf("  %-19s %s  caused by %s  from %s%n", e.eventType(), Envelope.shortId(e.eventId()),
            Envelope.shortId(e.causationId()), e.source()));
  }

  private static boolean waitFor(BooleanSupplier condition, int seconds) {
    try {
      Poll.until(condition, Duration.ofSeconds(seconds), () -> "");
      return true;
    } catch (AssertionError notYet) {
      return false;
    }
  }
}
