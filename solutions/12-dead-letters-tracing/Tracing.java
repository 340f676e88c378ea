import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * The ids that tie one user action together, and how they cross a gRPC call: the client
 * interceptor writes them into the call's metadata, the server interceptor reads them back
 * into the gRPC Context the service method runs in. No message field has to carry them.
 */
final class Tracing {
  /** On HTTP (the gateway), in gRPC metadata, and as Kafka headers: each medium's own spelling. */
  static final String HTTP_CORRELATION = "X-Correlation-Id";
  static final Metadata.Key<String> CORRELATION_ID =
      Metadata.Key.of("x-correlation-id", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> CAUSATION_ID = Metadata.Key.of("x-causation-id", Metadata.ASCII_STRING_MARSHALLER);
  static final String CORRELATION_HEADER = "correlationId";
  static final String CAUSATION_HEADER = "causationId";
  static final String EVENT_ID_HEADER = "eventId";

  /** In this process: the user action being served, and the id of the step serving it now. */
  static final Context.Key<String> CORRELATION = Context.key("correlation");
  static final Context.Key<String> CURRENT_STEP = Context.key("current-step");
  /** In a service method: the step, in the caller, that made this call. */
  static final Context.Key<String> CAUSED_BY = Context.key("caused-by");

  private Tracing() {}

  /** A new id: random, so any service can make one without asking anybody. */
  static String newId() {
    return UUID.randomUUID().toString().substring(0, 13);
  }

  /** Runs {@code work} as step {@code stepId} of {@code correlation}: gRPC calls made inside carry both. */
  static <T> T callAs(String correlation, String stepId, Callable<T> work) throws Exception {
    return Context.current().withValues(CORRELATION, correlation, CURRENT_STEP, stepId).call(work);
  }

  /** Client side: each outgoing call carries the caller's correlation id, and the caller's step as its cause. */
  static final class ClientSide implements ClientInterceptor {
    @Override
    public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
      return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<A> listener, Metadata headers) {
          // The correlation id passes on unchanged; the cause is our own step, the one making this call.
          putIfPresent(headers, CORRELATION_ID, CORRELATION.get());
          putIfPresent(headers, CAUSATION_ID, CURRENT_STEP.get());
          super.start(listener, headers);
        }
      };
    }
  }

  /** Server side: the ids in the call's metadata become the Context the service method runs in. */
  static final class ServerSide implements ServerInterceptor {
    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
        ServerCallHandler<Q, A> next) {
      // Contexts.interceptCall attaches the Context around every callback of the call, whichever
      // thread gRPC runs them on, so the service method sees the ids.
      Context context = Context.current().withValues(CORRELATION, headers.get(CORRELATION_ID),
          CAUSED_BY, headers.get(CAUSATION_ID));
      return Contexts.interceptCall(context, call, headers, next);
    }
  }

  private static void putIfPresent(Metadata headers, Metadata.Key<String> key, String value) {
    if (value != null) headers.put(key, value); // Metadata refuses null values
  }
}
