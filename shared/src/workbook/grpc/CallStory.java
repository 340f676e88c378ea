package workbook.grpc;

import io.grpc.BindableService;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import java.util.logging.Level;
import java.util.logging.Logger;
import workbook.story.Story;

/**
 * Narrates every call a service handles into the test's story (printed under a failing test):
 * what the client sent, what the service answered, how the call ended, and what the service threw.
 * Tests wrap the learner's service with it: {@code LocalGrpc.serve(0, CallStory.narrate(service))}.
 */
public final class CallStory implements ServerInterceptor {
  // gRPC logs an exception thrown by a service as a stack trace per call, which would bury the
  // test report; the story says the same in one line. Held here: JUL keeps loggers only weakly.
  private static final Logger[] QUIET = {
      Logger.getLogger("io.grpc.internal.SerializingExecutor"), Logger.getLogger("io.grpc.internal.ServerCallImpl")};

  static {
    for (Logger logger : QUIET) logger.setLevel(Level.OFF);
  }

  /** The lane of the calling side in the diagram: the interceptor sees the server only. */
  private static final String CLIENT = "client";

  private CallStory() {}

  /** "inventory.v1.Inventory" -> "Inventory": the service's lane. */
  private static String shortName(String service) {
    return service == null ? "service" : service.substring(service.lastIndexOf('.') + 1);
  }

  /** A correlation id the client sent in metadata ("correlation-id", "x-correlation-id", ...), if any. */
  private static String correlation(Metadata headers) {
    for (String key : headers.keys()) {
      if (key.contains("correlation") && !key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        return headers.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
      }
    }
    return null;
  }

  /** The same service, with its calls told in the story. */
  public static BindableService narrate(BindableService service) {
    return () -> ServerInterceptors.intercept(service, new CallStory());
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String method = call.getMethodDescriptor().getBareMethodName();
    String service = shortName(call.getMethodDescriptor().getServiceName());
    String correlation = correlation(headers);
    boolean unary = call.getMethodDescriptor().getType().serverSendsOneMessage();
    ServerCall<Q, A> toldCall = new SimpleForwardingServerCall<>(call) {
      private int sent;

      @Override public void sendMessage(A message) {
        sent++;
        Story.entry(Story.Kind.ANSWER, service).peer(CLIENT).eventType(method).correlationId(correlation)
            .failed(unary && sent > 1).line("server " + method + " sends " + LocalGrpc.text(message)
            + (unary && sent > 1 ? "  <- a second answer: this call takes one, so gRPC cancels it" : "")).add();
        super.sendMessage(message);
      }

      @Override public void close(Status status, Metadata trailers) {
        Story.entry(Story.Kind.ANSWER, service).peer(CLIENT).eventType(method + " " + status.getCode())
            .correlationId(correlation).failed(!status.isOk())
            .line("server " + method + " ends: " + (status.isOk() ? "OK (onCompleted)" : LocalGrpc.describe(status))).add();
        super.close(status, trailers);
      }
    };
    try {
      // A streaming method runs here, when the call starts: what it throws is told like the rest.
      return new Listener<>(service, method, correlation, next.startCall(toldCall, headers));
    } catch (RuntimeException e) {
      Listener.told(service, method, e);
      throw e;
    }
  }

  /** The service's side of one call: what arrives from the client, and what the service throws. */
  private static final class Listener<Q> extends SimpleForwardingServerCallListener<Q> {
    private final String service;
    private final String method;
    private final String correlation;

    Listener(String service, String method, String correlation, ServerCall.Listener<Q> delegate) {
      super(delegate);
      this.service = service;
      this.method = method;
      this.correlation = correlation;
    }

    @Override public void onMessage(Q message) {
      Story.entry(Story.Kind.CALL, CLIENT).peer(service).eventType(method).correlationId(correlation)
          .line("server " + method + " receives " + LocalGrpc.text(message)).add();
      guarded(() -> super.onMessage(message));
    }

    @Override public void onHalfClose() {
      Story.entry(Story.Kind.NOTE, service).eventType(method).correlationId(correlation)
          .line("server " + method + ": the client has sent everything (half-close)").add();
      guarded(super::onHalfClose);
    }

    @Override public void onCancel() {
      Story.entry(Story.Kind.NOTE, service).eventType(method).correlationId(correlation).failed(true)
          .line("server " + method + ": cancelled (the client cancelled, its deadline passed, or it went away)").add();
      guarded(super::onCancel);
    }

    private void guarded(Runnable step) {
      try {
        step.run();
      } catch (RuntimeException e) {
        told(service, method, e);
        throw e;
      }
    }

    static void told(String service, String method, RuntimeException e) {
      Story.entry(Story.Kind.NOTE, service).eventType(method).failed(true).line("server " + method + " threw " + e.getClass().getSimpleName() + ": " + e.getMessage()
          + "  <- an exception is not a status: the client gets UNKNOWN, if the call was still open").add();
    }
  }
}
