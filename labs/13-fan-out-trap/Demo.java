///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Checkout.java

import java.util.ArrayList;
import java.util.List;
import workbook.kafka.Clients;
import workbook.kafka.Topics;
import workbook.story.Story;

/**
 * Lab 13's demo: confirms orders against five services, then again while notification is down,
 * and shows what each service got once the reactions caught up.
 */
public final class Demo {
  public static void main(String[] args) throws Exception {
    if (args.length > 0) {
      System.err.println("Usage: ./jbang lab13@.   (it takes no arguments)");
      System.exit(2);
    }
    String topic = Topics.fresh("order.confirmed", 1);
    try (Shop shop = Shop.start(); var producer = Clients.producer("checkout");
        Reaction n = new Reaction(topic, "notification", shop.notification());
        Reaction a = new Reaction(topic, "analytics", shop.analytics());
        Reaction s = new Reaction(topic, "shipping", shop.shipping())) {
      System.out.println("Lab 13: the synchronous fan-out trap. Latencies: inventory 50 ms, payment 200 ms,"
          + " notification 100 ms, analytics 80 ms, shipping 150 ms (sum 580 ms).\n");
      Checkout checkout = new Checkout(shop, producer, topic);
      List<Reaction> reactions = List.of(n, a, s);
      List<String> confirmed = new ArrayList<>();
      confirm(checkout, "order-1", confirmed, "  (the first call also warms up the JVM)");
      confirm(checkout, "order-2", confirmed, "");
      catchUp(shop, confirmed, reactions);
      System.out.println("\n-- notification goes down for 2 s --");
      shop.notification().down(true);
      Story.drain();
      confirm(checkout, "order-3", confirmed, "");
      Thread.sleep(2000);
      Story.drain().stream().filter(line -> line.contains("notification")).forEach(l -> System.out.println("   " + l));
      System.out.println("   notification has handled " + shop.notification().handled() + " so far");
      shop.notification().down(false);
      System.out.println("-- notification is back --\n");
      catchUp(shop, confirmed, reactions);
      report(shop, confirmed, reactions);
    }
  }

  private static void confirm(Checkout checkout, String orderId, List<String> confirmed, String note) {
    long t0 = System.nanoTime();
    try {
      checkout.confirmOrder(orderId);
      confirmed.add(orderId);
      System.out.printf("%s confirmed in %d ms%s%n", orderId, (System.nanoTime() - t0) / 1_000_000, note);
    } catch (RuntimeException e) {
      System.out.printf("%s FAILED after %d ms: %s%n", orderId, (System.nanoTime() - t0) / 1_000_000, e.getMessage());
    }
  }

  /** Waits (at most 15 s) until every service after payment handled every confirmed order. */
  private static void catchUp(Shop shop, List<String> confirmed, List<Reaction> reactions) throws Exception {
    long deadline = System.nanoTime() + 15_000_000_000L;
    while (System.nanoTime() < deadline
        && !afterPayment(shop).stream().allMatch(sv -> sv.handled().containsAll(confirmed))
        && reactions.stream().allMatch(r -> r.stoppedBy() == null)) {
      Thread.sleep(100);
    }
  }

  private static List<Shop.Service> afterPayment(Shop shop) {
    return List.of(shop.notification(), shop.analytics(), shop.shipping());
  }

  private static void report(Shop shop, List<String> confirmed, List<Reaction> reactions) {
    System.out.println("Confirmed: " + confirmed);
    for (Shop.Service sv : afterPayment(shop)) System.out.printf("  %-12s handled %s%n", sv.name(), sv.handled());
    for (Reaction r : reactions) {
      if (r.stoppedBy() != null) System.out.println("  a reaction stopped: " + r.stoppedBy().getMessage());
    }
    System.out.println("\nNext: README.md, Step 1. Run the tests with ./jbang workbook@. test 13");
  }
}
