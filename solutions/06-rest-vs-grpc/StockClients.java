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
    // The shared client reuses a kept-alive connection; a status other than 200 is an error, not JSON.
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IOException("GET " + uri + " answered " + response.statusCode() + ": " + new String(response.body()));
    }
    return StockCodec.fromJson(response.body());
  }

  /** StockReports/GetStock over the shared channel, decoded from Protobuf. */
  StockCodec.Report viaGrpc(String warehouse, int items) {
    StockQuery query = StockQuery.newBuilder().setWarehouse(warehouse).setItems(items).build();
    // The shared stub opens a new stream on the one connection; the deadline bounds the wait.
    return StockCodec.fromProto(grpc.withDeadlineAfter(10, TimeUnit.SECONDS).getStock(query));
  }

  @Override
  public void close() {
    // Java 17's HttpClient has no close(): its idle connections and its thread end with the JVM.
    LocalGrpc.close(channel);
  }
}
