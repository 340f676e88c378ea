//JAVA 17+
//DEPS ../../shared/src/workbook/grpc/LocalGrpc.java
//SOURCES TraceLog.java Tracing.java OrderService.java StockConsumer.java
//SOURCES ../../shared/src/workbook/rest/*.java ../../shared/src/workbook/kafka/*.java

import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import workbook.grpc.LocalGrpc;
import workbook.grpc.orders.OrdersGrpc;
import workbook.grpc.orders.PlaceOrderReply;
import workbook.grpc.orders.PlaceOrderRequest;
import workbook.kafka.Broker;
import workbook.kafka.Clients;
import workbook.kafka.Json;
import workbook.kafka.Topics;
import workbook.rest.Rest;

/**
 * The whole path of one order: a REST gateway, the order service behind it over gRPC, the
 * order.placed topic, and the stock service reading it. Given code: it wires your pieces.
 *
 *   POST /orders ──REST──► gateway ──gRPC──► order service ──Kafka──► stock service
 */
final class OrderSystem implements AutoCloseable {
  record NewOrder(String orderId, String sku, int quantity) {}

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  final TraceLog trace = new TraceLog();
  final String topic = Topics.fresh("orders", 1);
  final String deadLetterTopic = Topics.create(Broker.bootstrapServers(),
      topic + StockConsumer.DLT_SUFFIX, 1);
  final String stockGroup = Topics.unique("stock");
  final StockConsumer stock = new StockConsumer(topic, stockGroup, trace);
  private final KafkaProducer<String, String> events = Clients.producer("orders");
  // Every call the order service gets goes through the server interceptor first, which reads the ids.
  private final Server grpc = LocalGrpc.serve(0,
      () -> ServerInterceptors.intercept(new OrderService(trace, events, topic), new Tracing.ServerSide()));
  private final ManagedChannel channel = LocalGrpc.channel(grpc.getPort());
  // Every call through this stub goes through the client interceptor, which adds the ids.
  private final OrdersGrpc.OrdersBlockingStub orders =
      OrdersGrpc.newBlockingStub(ClientInterceptors.intercept(channel, new Tracing.ClientSide()));
  private final Javalin gateway = Rest.start(0, cfg -> cfg.routes.post("/orders", this::placeOrder));

  /** The gateway's one endpoint: the first hop of every chain. */
  private void placeOrder(Context ctx) throws Exception {
    // A caller that already has a correlation id (a browser session, an upstream service) keeps it.
    String correlation = Optional.ofNullable(ctx.header(Tracing.HTTP_CORRELATION)).filter(s -> !s.isBlank())
        .orElseGet(Tracing::newId);
    NewOrder order = ctx.bodyAsClass(NewOrder.class);
    TraceLog.Hop hop = trace.record("gateway", "POST /orders " + order.orderId(), correlation, null);
    PlaceOrderReply reply = Tracing.callAs(correlation, hop.id(), () -> orders.withDeadlineAfter(5, TimeUnit.SECONDS)
        .placeOrder(PlaceOrderRequest.newBuilder().setOrderId(order.orderId()).setProductId(order.sku())
            .setQuantity(order.quantity()).build()));
    ctx.header(Tracing.HTTP_CORRELATION, correlation).status(202)
        .json(Map.of("orderId", reply.getOrderId(), "eventId", reply.getEventId()));
  }

  /** http://127.0.0.1:port of the gateway. */
  String url() { return Rest.url(gateway); }

  /** What a client sees: the status, and the correlation id the gateway answered with. */
  record Placed(int status, String correlationId, String body) {}

  /** Places an order through the gateway, as a browser would; {@code correlationId} may be null. */
  Placed post(NewOrder order, String correlationId) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + "/orders"))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(Json.write(order)));
    if (correlationId != null) request.header(Tracing.HTTP_CORRELATION, correlationId);
    HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Placed(response.statusCode(), response.headers().firstValue(Tracing.HTTP_CORRELATION).orElse(null),
        response.body());
  }

  @Override
  public void close() {
    gateway.stop();
    LocalGrpc.close(channel);
    LocalGrpc.stop(grpc);
    events.close();
    stock.close();
  }
}
