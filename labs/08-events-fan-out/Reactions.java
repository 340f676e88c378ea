import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Four independent reactions to the same order.confirmed event. Each keeps its own state and
 * knows nothing of the others, nor does the shop know any of them.
 */
final class Reactions {
  // Each reaction ignores event types it does not know: the topic may carry more tomorrow.
  static final String CONFIRMED = "order.confirmed";

  private Reactions() {}

  /** Takes the ordered quantities out of stock. Its state is derived from the events alone. */
  static final class Inventory implements Service.Reaction {
    private final Map<String, Integer> stock = new ConcurrentHashMap<>(Map.of("mug", 100, "tee", 50, "cap", 30));

    @Override public void on(Envelope event) {
      if (!CONFIRMED.equals(event.eventType())) return;
      for (Shop.Line line : event.data(Shop.Order.class).lines()) stock.merge(line.sku(), -line.quantity(), Integer::sum);
    }

    int stock(String sku) { return stock.getOrDefault(sku, 0); }

    Map<String, Integer> stock() { return new TreeMap<>(stock); }
  }

  /** Tells the customer (here: remembers the email it would send). */
  static final class Notification implements Service.Reaction {
    private final List<String> sent = new CopyOnWriteArrayList<>();

    @Override public void on(Envelope event) {
      if (!CONFIRMED.equals(event.eventType())) return;
      Shop.Order order = event.data(Shop.Order.class);
      sent.add("to " + order.customerEmail() + ": your order " + order.orderId() + " is confirmed");
    }

    List<String> sent() { return List.copyOf(sent); }
  }

  /** Counts conversions and revenue. */
  static final class Analytics implements Service.Reaction {
    private final AtomicInteger conversions = new AtomicInteger();
    private final AtomicLong revenueCents = new AtomicLong();

    @Override public void on(Envelope event) {
      if (!CONFIRMED.equals(event.eventType())) return;
      conversions.incrementAndGet();
      revenueCents.addAndGet(event.data(Shop.Order.class).totalCents());
    }

    int conversions() { return conversions.get(); }

    long revenueCents() { return revenueCents.get(); }
  }

  /** Requests a shipment: a new event, caused by the order's, in the same correlation. */
  static final class Shipping implements Service.Reaction {
    private final List<Envelope> requested = new CopyOnWriteArrayList<>();

    @Override public void on(Envelope event) {
      if (!CONFIRMED.equals(event.eventType())) return;
      String orderId = event.data(Shop.Order.class).orderId();
      requested.add(event.causes("shipment.requested", "shipping", Map.of("orderId", orderId)));
    }

    List<Envelope> requested() { return List.copyOf(requested); }
  }
}
