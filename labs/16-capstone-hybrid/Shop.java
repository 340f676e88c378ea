///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS ../../shared/src/workbook/grpc/LocalGrpc.java
//SOURCES Catalog.java Page.java Gateway.java StockFeed.java OrderService.java OutboxRelay.java
//SOURCES IdempotentConsumer.java Inventory.java Notification.java Analytics.java
//SOURCES ../../shared/src/workbook/rest/*.java ../../shared/src/workbook/db/*.java ../../shared/src/workbook/kafka/*.java

import io.grpc.ManagedChannel;
import io.grpc.Server;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.kafka.clients.producer.KafkaProducer;
import workbook.db.Db;
import workbook.grpc.LocalGrpc;
import workbook.kafka.Clients;
import workbook.kafka.Topics;
import workbook.net.Ports;
import workbook.story.Story;

/**
 * The whole shop, wired (nothing to edit here): browser --REST/SSE--> gateway --gRPC--> order
 * service --outbox--> relay --Kafka--> inventory, notification, analytics; and inventory --gRPC
 * stream--> gateway --SSE--> browser. Each service has its own database.
 */
public final class Shop implements AutoCloseable {
  private final Deque<AutoCloseable> opened = new ArrayDeque<>();
  final String topic = Topics.fresh("orders", 3);
  final Db orders;
  final Inventory inventory;
  final Notification notification;
  final Analytics analytics;
  final IdempotentConsumer inventoryReader;
  final IdempotentConsumer notificationReader;
  final IdempotentConsumer analyticsReader;
  final Gateway gateway;

  /** port: the gateway's (0 picks one); heartbeat: how often idle SSE streams are pinged. */
  Shop(int port, Duration heartbeat) {
    try {
      // The order service, behind gRPC, and the relay that publishes its outbox.
      orders = keep(Db.fresh("orders").execute(OrderService.SCHEMA));
      Server orderService = serve(new OrderService(orders.dataSource(), topic));
      KafkaProducer<String, String> producer = Clients.producer("outbox-relay");
      keep(() -> producer.close(Duration.ofSeconds(5)));
      keep(new OutboxRelay(orders.dataSource(), producer).start(Duration.ofMillis(100)));
      // Inventory: a consumer of order.confirmed, and a gRPC stream of stock levels.
      Db stock = keep(Db.fresh("inventory").execute(Inventory.SCHEMA));
      inventory = new Inventory(stock.dataSource());
      Server inventoryService = serve(inventory);
      keep(inventory::endWatches); // runs before its server stops: open streams would hold it up
      inventoryReader = reader("inventory", stock, inventory);
      // Two more consumers; the order service knows nothing about them.
      Db emails = keep(Db.fresh("notification").execute(Notification.SCHEMA));
      notification = new Notification(emails.dataSource());
      notificationReader = reader("notification", emails, notification);
      Db sales = keep(Db.fresh("analytics").execute(Analytics.SCHEMA));
      analytics = new Analytics(sales.dataSource());
      analyticsReader = reader("analytics", sales, analytics);
      // The gateway, last: the page can use it as soon as it answers.
      gateway = keep(new Gateway(port, channel(orderService), channel(inventoryService), Gateway.DEADLINE, heartbeat));
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** A consumer in a group of its own, applying events to its service's own database. */
  private IdempotentConsumer reader(String name, Db db, IdempotentConsumer.Reaction reaction) {
    return keep(new IdempotentConsumer(name, db.dataSource(), reaction, topic, Topics.unique(name)).start());
  }

  private Server serve(io.grpc.BindableService service) {
    Server server = LocalGrpc.serve(0, service);
    keep(() -> LocalGrpc.stop(server));
    return server;
  }

  private ManagedChannel channel(Server server) {
    ManagedChannel channel = LocalGrpc.channel(server.getPort());
    channel.getState(true); // connect now: a lazy first connection would spend the first order's deadline
    keep(() -> LocalGrpc.close(channel));
    return channel;
  }

  private <T extends AutoCloseable> T keep(T resource) {
    opened.push(resource);
    return resource;
  }

  String url() { return gateway.url(); }

  /** Stops everything, the last started first. */
  @Override
  public void close() {
    while (!opened.isEmpty()) {
      try {
        opened.pop().close();
      } catch (Exception e) {
        System.err.println("While stopping the shop: " + e);
      }
    }
  }

  public static void main(String[] args) throws Exception {
    int port = port(args);
    System.out.println("Lab 16: starting the shop: a gateway, an order service, an outbox relay, Kafka and three consumers...");
    try (Shop shop = new Shop(port, Duration.ofSeconds(15))) {
      System.out.println("Open " + shop.url() + " in a browser and buy something. Press Enter to stop.");
      Thread story = new Thread(Shop::tellStory, "story");
      story.setDaemon(true);
      story.start();
      System.in.read(); // Enter, or end of input when there is no terminal
      System.out.println("Stopping...");
    }
  }

  private static int port(String[] args) {
    if (args.length == 0) return Ports.requireFree(7016, "--port");
    if (args.length == 2 && args[0].equals("--port") && args[1].matches("\\d{1,5}")) {
      return Ports.requireFree(Integer.parseInt(args[1]), "--port");
    }
    System.err.println("Usage: ./jbang lab16@. [--port 7016]   (the gateway's port; open http://127.0.0.1:<port>)");
    System.exit(2);
    return -1;
  }

  /** Prints what the services do, as they do it: the same lines a failing test shows. */
  private static void tellStory() {
    while (true) {
      Story.drain().forEach(line -> System.out.println("  " + line));
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
