import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.UUID;
import javax.sql.DataSource;
import workbook.grpc.orders.OrdersGrpc;
import workbook.grpc.orders.PlaceOrderReply;
import workbook.grpc.orders.PlaceOrderRequest;
import workbook.kafka.Json;
import workbook.story.Story;

/**
 * The order service, behind the gateway, over gRPC. It never talks to Kafka: it writes the order
 * and the event it owes everyone else in one database transaction, and the outbox relay
 * publishes the event later (lab 10). So "order placed" always means "event on its way".
 */
final class OrderService extends OrdersGrpc.OrdersImplBase {
  static final String SCHEMA = """
      CREATE TABLE orders (
        id VARCHAR(40) PRIMARY KEY,
        product_id VARCHAR(40) NOT NULL,
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
  // The relay publishes outbox rows in id order and sets sent_at once the broker acknowledged.

  /** The event every other service reacts to. Its eventId lets a consumer spot a second copy. */
  record OrderConfirmed(String eventId, String eventType, String orderId, String productId, int quantity) {
    static OrderConfirmed of(String orderId, PlaceOrderRequest request) {
      return new OrderConfirmed(UUID.randomUUID().toString(), "order.confirmed", orderId,
          request.getProductId(), request.getQuantity());
    }

    static OrderConfirmed fromJson(String json) { return Json.read(json, OrderConfirmed.class); }

    String toJson() { return Json.write(this); }
  }

  private final DataSource db;
  private final String topic;

  OrderService(DataSource db, String topic) {
    this.db = db;
    this.topic = topic;
  }

  @Override
  public void placeOrder(PlaceOrderRequest request, StreamObserver<PlaceOrderReply> reply) {
    Status refused = check(request);
    if (refused != null) {
      reply.onError(refused.asRuntimeException());
      return;
    }
    String orderId = "o-" + UUID.randomUUID().toString().substring(0, 8);
    try {
      store(orderId, request);
    } catch (SQLException e) {
      // Nothing was stored, so nothing was promised: the caller may safely try again later.
      Status unavailable = Status.UNAVAILABLE.withDescription("could not store the order: " + e.getMessage());
      reply.onError(unavailable.asRuntimeException());
      return;
    } catch (UnsupportedOperationException todo) {
      reply.onError(Status.UNIMPLEMENTED.withDescription(todo.getMessage()).asRuntimeException());
      return;
    }
    Story.add("orders       stored " + orderId + " (" + request.getQuantity() + " x " + request.getProductId()
        + ") and its outbox row");
    reply.onNext(PlaceOrderReply.newBuilder().setOrderId(orderId).build());
    reply.onCompleted();
  }

  /** Saves the order row and its order.confirmed outbox row: both, or (with an exception) neither. */
  void store(String orderId, PlaceOrderRequest request) throws SQLException {
    try (Connection c = db.getConnection()) {
      // One transaction: the order and the event it owes everyone commit together, or neither does.
      c.setAutoCommit(false);
      try {
        insertOrder(c, orderId, request);
        insertOutbox(c, topic, orderId, OrderConfirmed.of(orderId, request).toJson());
        c.commit();
      } catch (Throwable e) { // anything thrown before the commit, an Error too: a driver may commit what close() finds open
        c.rollback();
        throw e;
      }
    }
  }

  /** INVALID_ARGUMENT and NOT_FOUND say the caller must change the request; null when it is fine. */
  static Status check(PlaceOrderRequest request) {
    if (request.getQuantity() < 1) return Status.INVALID_ARGUMENT.withDescription("quantity must be at least 1");
    if (Catalog.find(request.getProductId()).isEmpty()) {
      return Status.NOT_FOUND.withDescription("no product '" + request.getProductId() + "'");
    }
    return null;
  }

  static void insertOrder(Connection c, String orderId, PlaceOrderRequest request) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO orders (id, product_id, quantity) VALUES (?, ?, ?)")) {
      s.setString(1, orderId);
      s.setString(2, request.getProductId());
      s.setInt(3, request.getQuantity());
      s.executeUpdate();
    }
  }

  static void insertOutbox(Connection c, String topic, String key, String payload) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO outbox (topic, message_key, payload) VALUES (?, ?, ?)")) {
      s.setString(1, topic);
      s.setString(2, key);
      s.setString(3, payload);
      s.executeUpdate();
    }
  }
}
