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

  private CallStory() {}

  /** The same service, with its calls told in the story. */
  public static BindableService narrate(BindableService service) {
    return () -> ServerInterceptors.intercept(service, new CallStory());
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String method = call.getMethodDescriptor().getBareMethodName();
    boolean unary = call.getMethodDescriptor().getType().serverSendsOneMessage();
    ServerCall<Q, A> toldCall = new SimpleForwardingServerCall<>(call) {
      private int sent;

      @Override public void sendMessage(A message) {
        sent++;
        Story.add("server " + method + " sends " + LocalGrpc.text(message)
            + (unary && sent > 1 ? "  <- a second answer: this call takes one, so gRPC cancels it" : ""));
        super.sendMessage(message);
      }

      @Override public void close(Status status, Metadata trailers) {
        Story.add("server " + method + " ends: " + (status.isOk() ? "OK (onCompleted)" : LocalGrpc.describe(status)));
        super.close(status, trailers);
      }
    };
    try {
      // A streaming method runs here, when the call starts: what it throws is told like the rest.
      return new Listener<>(method, next.startCall(toldCall, headers));
    } catch (RuntimeException e) {
      Listener.told(method, e);
      throw e;
    }
  }

  /** The service's side of one call: what arrives from the client, and what the service throws. */
  private static final class Listener<Q> extends SimpleForwardingServerCallListener<Q> {
    private final String method;

    Listener(String method, ServerCall.Listener<Q> delegate) {
      super(delegate);
      this.method = method;
    }

    @Override public void onMessage(Q message) {
      Story.add("server " + method + " receives " + LocalGrpc.text(message));
      guarded(() -> super.onMessage(message));
    }

    @Override public void onHalfClose() {
      Story.add("server " + method + ": the client has sent everything (half-close)");
      guarded(super::onHalfClose);
    }

    @Override public void onCancel() {
      Story.add("server " + method + ": cancelled (the client cancelled, its deadline passed, or it went away)");
      guarded(super::onCancel);
    }

    private void guarded(Runnable step) {
      try {
        step.run();
      } catch (RuntimeException e) {
        told(method, e);
        throw e;
      }
    }

    static void told(String method, RuntimeException e) {
      Story.add("server " + method + " threw " + e.getClass().getSimpleName() + ": " + e.getMessage()
          + "  <- an exception is not a status: the client gets UNKNOWN, if the call was still open");
    }
  }
}
