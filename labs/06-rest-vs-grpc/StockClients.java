import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import workbook.grpc.LocalGrpc;
import workbook.grpc.measure.StockQuery;
import workbook.grpc.measure.StockReportsGrpc;

/**
 * One client per protocol, each built once and shared by every call, as production code keeps
 * them: a pool of HTTP/1.1 connections for REST, one multiplexed HTTP/2 connection for gRPC.
 */
final class StockClients implements AutoCloseable {
  private final String restBase;
  private final HttpClient http;
  private final ManagedChannel channel;
  private final StockReportsGrpc.StockReportsBlockingStub grpc;

  StockClients(int restPort, int grpcPort) {
    restBase = "http://127.0.0.1:" + restPort;
    // HTTP/1.1 on purpose: a connection carries one request at a time, so the client's pool opens
    // one connection per concurrent call and keeps them alive for the next calls. (Left to its
    // default, the JDK client asks every new connection to upgrade to HTTP/2 first.)
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    // One channel is one HTTP/2 connection that carries all calls at once, each on its own stream.
    channel = LocalGrpc.channel(grpcPort);
    grpc = StockReportsGrpc.newBlockingStub(channel);
  }

  /** GET /stock/{warehouse}?items=n over the shared HTTP client, decoded from JSON. */
  StockCodec.Report viaRest(String warehouse, int items) throws IOException, InterruptedException {
    // The warehouse as one path segment (RFC 3986): its UTF-8 bytes percent-encoded, a space as %20. URLEncoder
    // writes form encoding, where a space is '+'; in a path '+' is a plus, so the server would read another warehouse.
    String segment = URLEncoder.encode(warehouse, StandardCharsets.UTF_8).replace("+", "%20");
    URI uri = URI.create(restBase + "/stock/" + segment + "?items=" + items);
    // TODO 4: send a GET for uri with the shared `http` client and a timeout of a few seconds, throw
    // an IOException naming the status unless it is 200, and decode the body with StockCodec.fromJson.
    throw new UnsupportedOperationException("TODO 4: call the REST endpoint (see hint 4)");
  }

  /** StockReports/GetStock over the shared channel, decoded from Protobuf. */
  StockCodec.Report viaGrpc(String warehouse, int items) {
    StockQuery query = StockQuery.newBuilder().setWarehouse(warehouse).setItems(items).build();
    // TODO 5: call getStock on the shared `grpc` stub with a deadline of a few seconds, and decode
    // the reply with StockCodec.fromProto.
    throw new UnsupportedOperationException("TODO 5: call the gRPC method (see hint 5)");
  }

  @Override
  public void close() {
    // Java 17's HttpClient has no close(): its idle connections and its thread end with the JVM.
    LocalGrpc.close(channel);
  }
}
