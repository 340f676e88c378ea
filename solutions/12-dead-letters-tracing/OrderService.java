import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import workbook.grpc.orders.OrdersGrpc;
import workbook.grpc.orders.PlaceOrderReply;
import workbook.grpc.orders.PlaceOrderRequest;
import workbook.kafka.Json;

/**
 * The order service: takes an order over gRPC and publishes order.placed for whoever reacts to
 * it. The ids of the call arrive in the gRPC Context (see Tracing.ServerSide) and leave in the
 * event's Kafka headers.
 */
final class OrderService extends OrdersGrpc.OrdersImplBase {
  /** The event's value: only business data; the ids travel in headers. */
  record OrderPlaced(String orderId, String sku, int quantity) {}

  private final TraceLog trace;
  private final Producer<String, String> events;
  private final String topic;

  OrderService(TraceLog trace, Producer<String, String> events, String topic) {
    this.trace = trace;
    this.events = events;
    this.topic = topic;
  }

  @Override
  public void placeOrder(PlaceOrderRequest request, StreamObserver<PlaceOrderReply> reply) {
    // A call that arrives without a correlation id starts a new story: that is how a chain breaks.
    String correlation = Optional.ofNullable(Tracing.CORRELATION.get()).orElseGet(Tracing::newId);
    TraceLog.Hop call = trace.record("orders", "PlaceOrder " + request.getOrderId(), correlation,
        Tracing.CAUSED_BY.get());
    String eventId = Tracing.newId();
    ProducerRecord<String, String> event = new ProducerRecord<>(topic, request.getOrderId(),
        Json.write(new OrderPlaced(request.getOrderId(), request.getProductId(), request.getQuantity())));
    header(event, "eventType", "order.placed");
    // Same correlation id as the call; the cause is the call (never the correlation id); its own id for what it causes.
    header(event, Tracing.CORRELATION_HEADER, correlation);
    header(event, Tracing.CAUSATION_HEADER, call.id());
    header(event, Tracing.EVENT_ID_HEADER, eventId);
    try {
      // Wait for the broker: "accepted" must mean the event is stored, or the order is lost.
      sendAndWait(events, event);
    } catch (IllegalStateException e) {
      reply.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    trace.add(new TraceLog.Hop(eventId, correlation, call.id(), "orders", "published order.placed", Instant.now()));
    reply.onNext(PlaceOrderReply.newBuilder().setOrderId(request.getOrderId()).setEventId(eventId).build());
    reply.onCompleted();
  }

  /** Sends a record and waits (at most 10 s) until the broker has stored it. */
  static void sendAndWait(Producer<String, String> producer, ProducerRecord<String, String> record) {
    try {
      producer.send(record).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the broker did not store " + record.key() + " on " + record.topic() + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending to " + record.topic());
    }
  }

  /** Adds one header, as UTF-8 text (readable in any Kafka tool). */
  static void header(ProducerRecord<String, String> record, String name, String value) {
    record.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
