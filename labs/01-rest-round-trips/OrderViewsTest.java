///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES OrderViews.java ../../shared/src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.javalin.Javalin;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import workbook.rest.Rest;
import workbook.rest.SimulatedService;

@DisplayName("Lab 01: REST round-trips")
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // in an IDE too, a hang that ignores interrupts fails
class OrderViewsTest {
  public static void main(String[] args) { workbook.test.LabTests.run(OrderViewsTest.class, args); }

  // Long enough to tell three calls in a row from one, short enough to keep the run quick; the demo
  // shows 150 ms. No test here measures concurrency by time: the services meet in a latch instead.
  static final long LATENCY_MS = 30;
  static Services services;
  static OrderViews views;
  static SimulatedService viewService;
  static final OrderViews.OrderView EXPECTED = new OrderViews.OrderView(
      Services.ORDERS.get("42"), Services.CUSTOMERS.get("7"), Services.SHIPMENTS.get("42"));

  @BeforeAll
  static void startServices() {
    services = new Services(Duration.ofMillis(LATENCY_MS));
    views = new OrderViews(new RestClient(Services.TOKEN), services);
    viewService = ViewService.start(views, 0);
    // Warm up the HTTP client and the servers (class loading, first connections) with no
    // simulated latency, so the timings below measure round-trips and nothing else.
    services.latency(Duration.ZERO);
    views.sequential("42", "7");
    services.latency(Duration.ofMillis(LATENCY_MS));
  }

  @AfterAll
  static void stopServices() {
    viewService.close();
    services.close();
  }

  @BeforeEach
  void resetCounts() {
    services.requireToken(false);
    services.dontWait();
    for (SimulatedService s : new SimulatedService[] {services.orders, services.customers, services.shipments, viewService}) {
      s.resetCount();
      s.down(false);
    }
  }

  static long millis(Runnable r) {
    long t0 = System.nanoTime();
    r.run();
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  @DisplayName("the sequential view makes three round-trips, one after the other")
  void sequentialCostsThreeRoundTrips() {
    long ms = millis(() -> assertThat(views.sequential("42", "7")).isEqualTo(EXPECTED));
    assertThat(ms).as("three calls of %d ms in a row", LATENCY_MS).isGreaterThanOrEqualTo(3 * LATENCY_MS);
  }

  @Nested
  @Tag("step1")
  @DisplayName("Step 1: concurrent calls")
  class Step1 {
    @Test
    @DisplayName("build the same view as the sequential calls")
    void sameView() {
      assertThat(views.concurrent("42", "7")).as("TODO 1: the concurrent view").isEqualTo(EXPECTED);
    }

    @Test
    @DisplayName("ask each service exactly once")
    void oneCallEach() {
      views.concurrent("42", "7");
      assertThat(new int[] {services.orders.requests(), services.customers.requests(), services.shipments.requests()})
          .as("TODO 1: requests to orders, customers, shipments (each should get one)").containsExactly(1, 1, 1);
    }

    @Test
    @DisplayName("all three calls are in flight at the same time")
    void allThreeInFlightTogether() {
      services.expectTogether();
      views.concurrent("42", "7");
      assertThat(services.metTogether())
          .as("TODO 1: the three requests never were at the services at the same time, so the page still waits"
              + " for one call after the other: start all three with getAsync before you join any of them (see hint 1)")
          .isTrue();
    }
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: a composite endpoint")
  class Step2 {
    @Test
    @DisplayName("the page gets the whole view in one round-trip")
    void oneRoundTripFromThePage() {
      OrderViews.OrderView view = OrderViews.composite(new RestClient(Services.TOKEN), viewService.url(), "42", "7");
      assertThat(view).as("TODO 2: the view from GET /order-views/42?customerId=7").isEqualTo(EXPECTED);
      assertThat(viewService.requests()).as("TODO 2: round-trips from the page to the view service").isEqualTo(1);
    }

    @Test
    @DisplayName("the view service makes its three calls concurrently")
    void viewServiceCallsConcurrently() {
      services.expectTogether();
      OrderViews.composite(new RestClient(Services.TOKEN), viewService.url(), "42", "7");
      assertThat(services.metTogether())
          .as("TODO 2: the view service called orders, customers and shipments one after the other; build the view"
              + " with views.concurrent(...), so the one round-trip the page pays is as short as it can be")
          .isTrue();
    }

    @Test
    @DisplayName("when a service behind it is down, the page gets an error, not a view with holes")
    void failureIsAnError() {
      services.shipments.down(true);
      Throwable thrown = catchThrowable(() -> OrderViews.composite(new RestClient(Services.TOKEN), viewService.url(), "42", "7"));
      assertThat(thrown)
          .as("TODO 2: shipments answered 503, yet the page got a view; a view with a missing part must come back"
              + " as an error status (5xx), or the page shows an order that has no shipment")
          .isNotNull().isNotInstanceOf(UnsupportedOperationException.class);
      if (thrown instanceof RestClient.HttpError error) {
        assertThat(error.status() / 100).as("TODO 2: the view service failed, so its status is 5xx, not %d", error.status())
            .isEqualTo(5);
      }
    }

    @Test
    @DisplayName("the view service asks each service behind it once")
    void viewServiceFansOutOnce() {
      OrderViews.composite(new RestClient(Services.TOKEN), viewService.url(), "42", "7");
      assertThat(new int[] {services.orders.requests(), services.customers.requests(), services.shipments.requests()})
          .as("TODO 2: requests from the view service to orders, customers, shipments").containsExactly(1, 1, 1);
    }
  }

  @Nested
  @Tag("step3")
  @DisplayName("Step 3: a typed error for non-2xx answers")
  class Step3 {
    @Test
    @DisplayName("a 404 becomes an HttpError with status 404 and the server's message")
    void notFound() {
      Throwable thrown = catchThrowable(() -> new RestClient(Services.TOKEN)
          .get(services.orders.url() + "/orders/999", Services.Order.class));
      assertThat(thrown).as("TODO 3: GET /orders/999 should throw RestClient.HttpError, not try to read JSON from an error page")
          .isInstanceOf(RestClient.HttpError.class);
      RestClient.HttpError error = (RestClient.HttpError) thrown;
      assertThat(error.status()).as("TODO 3: the status in the HttpError").isEqualTo(404);
      assertThat(error.body()).as("TODO 3: the server's body, kept in the HttpError").isEqualTo("no order with that id");
    }

    @Test
    @DisplayName("any 2xx is a success: a 203 carries the resource too")
    void any2xxIsSuccess() {
      Javalin proxy = Rest.start(cfg -> cfg.routes.get("/orders/{id}",
          ctx -> ctx.status(203).json(Services.ORDERS.get("42"))));
      try {
        Throwable thrown = catchThrowable(() -> new RestClient(Services.TOKEN).get(Rest.url(proxy) + "/orders/42", Services.Order.class));
        assertThat(thrown)
            .as("TODO 3: 203 Non-Authoritative Information (a proxy's copy) is a 2xx: the body is the order; check"
                + " status / 100 == 2, not status == 200 (see hint 2)")
            .isNull();
      } finally {
        proxy.stop();
      }
    }

    @Test
    @DisplayName("a 3xx is not a success: a redirect or a 304 has no order to read")
    void redirectIsAnError() {
      for (int status : new int[] {302, 304}) {
        Javalin moved = Rest.start(cfg -> cfg.routes.get("/orders/{id}",
            ctx -> ctx.status(status).header("Location", "/elsewhere")));
        try {
          Throwable thrown = catchThrowable(() -> new RestClient(Services.TOKEN).get(Rest.url(moved) + "/orders/42", Services.Order.class));
          assertThat(thrown).as("TODO 3: a %d is not a 2xx, so it is an HttpError (only 2xx carries the resource)", status)
              .isInstanceOf(RestClient.HttpError.class);
          assertThat(((RestClient.HttpError) thrown).status()).as("TODO 3: the status in the HttpError").isEqualTo(status);
        } finally {
          moved.stop();
        }
      }
    }

    @Test
    @DisplayName("a service that is down becomes an HttpError 503")
    void serviceDown() {
      services.shipments.down(true);
      Throwable thrown = catchThrowable(() -> views.sequential("42", "7"));
      assertThat(thrown).as("TODO 3: a 503 from shipments").isInstanceOf(RestClient.HttpError.class);
      assertThat(((RestClient.HttpError) thrown).status()).as("TODO 3: the status in the HttpError").isEqualTo(503);
    }
  }

  @Nested
  @Tag("step4")
  @DisplayName("Step 4: a bearer token between services")
  class Step4 {
    @Test
    @DisplayName("services that require the token still answer")
    void tokenAccepted() {
      services.requireToken(true);
      assertThat(catchThrowable(() -> views.sequential("42", "7")))
          .as("TODO 4: every request needs the header 'Authorization: Bearer <token>'").isNull();
    }

    @Test
    @DisplayName("concurrent calls and the composite view carry the token too")
    void tokenOnEveryCall() {
      services.requireToken(true);
      assertThat(catchThrowable(() -> views.concurrent("42", "7")))
          .as("TODO 4: the concurrent calls (getAsync) were refused: every request, blocking or not, needs"
              + " 'Authorization: Bearer <token>'; build it where every request is built").isNull();
      assertThat(catchThrowable(() -> OrderViews.composite(new RestClient(Services.TOKEN), viewService.url(), "42", "7")))
          .as("TODO 4: the view service's own calls were refused: it must send the bearer token as well").isNull();
    }

    @Test
    @DisplayName("a wrong token is refused with 401")
    void wrongToken() {
      services.requireToken(true);
      Throwable thrown = catchThrowable(() -> new RestClient("not-the-token")
          .get(services.orders.url() + "/orders/42", Services.Order.class));
      assertThat(thrown).as("TODO 4: a wrong token should get a 401 HttpError (steps 3 and 4)")
          .isInstanceOf(RestClient.HttpError.class);
      assertThat(((RestClient.HttpError) thrown).status()).as("TODO 4: status for a wrong token").isEqualTo(401);
    }
  }
}
