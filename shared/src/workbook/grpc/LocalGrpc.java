//DEPS io.grpc:grpc-bom:1.85.1@pom
//DEPS io.grpc:grpc-netty-shaded io.grpc:grpc-protobuf io.grpc:grpc-stub io.grpc:grpc-services
// The Protobuf runtime, pinned once to protoc's version (see ProtobufRuntime.java).
//SOURCES ProtobufRuntime.java
// The test narrator, every generated contract (one folder each) and the story it writes to.
//SOURCES CallStory.java */*.java ../story/*.java
package workbook.grpc;

import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.TextFormat;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * gRPC servers and channels the way every lab wants them: on 127.0.0.1, plaintext, with server
 * reflection, and stopped without leaking threads. Labs get this file, CallStory, the generated
 * stubs of shared/proto/ and the gRPC runtime with one line (see README.md):
 * {@code //DEPS ../../shared/src/workbook/grpc/LocalGrpc.java}.
 */
public final class LocalGrpc {
  private LocalGrpc() {}

  /** Starts the services on 127.0.0.1:port (0 picks a free port; read it with {@code getPort()}). */
  public static Server serve(int port, BindableService... services) {
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port));
    for (BindableService service : services) builder.addService(service);
    // Reflection lets grpcurl and Postman list the services and encode JSON without the .proto.
    builder.addService(ProtoReflectionServiceV1.newInstance());
    try {
      return builder.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not start a gRPC server on 127.0.0.1:" + port + ": " + e.getMessage(), e);
    }
  }

  /** A plaintext channel to a server on 127.0.0.1 (TLS would add certificates, not insight, here). */
  public static ManagedChannel channel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  /** Stops a server: calls in flight get a moment to finish, then are cancelled. Null is ignored. */
  public static void stop(Server server) {
    if (server == null) return;
    server.shutdown();
    try {
      if (!server.awaitTermination(2, TimeUnit.SECONDS)) server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** Closes a channel and its connections. Null is ignored. */
  public static void close(ManagedChannel channel) {
    if (channel == null) return;
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A status as a learner reads it: the code, then the description if there is one. */
  public static String describe(Status status) {
    String description = status.getDescription();
    if (description == null) return status.getCode().toString();
    // A client-side DEADLINE_EXCEEDED carries connection diagnostics after the sentence that matters.
    return status.getCode() + " \"" + description.split("\\. Name resolution delay| \\[", 2)[0] + "\"";
  }

  /** The status a failed call ended with (UNKNOWN for an exception that carries none). */
  public static String describe(Throwable failure) {
    return describe(Status.fromThrowable(failure));
  }

  /** A protobuf message on one line, in the text format grpcurl and the docs use. */
  public static String text(Object message) {
    return message instanceof MessageOrBuilder m
        ? "{" + TextFormat.printer().emittingSingleLine(true).printToString(m).strip() + "}"
        : String.valueOf(message);
  }
}
