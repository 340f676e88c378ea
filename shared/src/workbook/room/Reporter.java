package workbook.room;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The learner's side: after a run in a workbook that joined a room, one small report goes to the
 * room in the background. The room must never be in the way: a send has 1 s in all, the run waits
 * for its answer at most the wait it gives (100 ms), and nothing piles up: while one report is on
 * its way, a newer one waits in a single slot (replacing any older one), since the room only
 * shows the latest state of each learner.
 */
public final class Reporter {
  /** The whole budget of one send, connection included. */
  public static final Duration BUDGET = Duration.ofSeconds(1);
  /** How long a run waits for the room's answer before it goes on (the send carries on behind it). */
  public static final Duration WAIT = Duration.ofMillis(100);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(BUDGET)
      .executor(Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "room-report");
        t.setDaemon(true); // a cold run's JVM ends when its tests do: a report still on its way is dropped, the next run sends the latest
        return t;
      })).build();
  private static final Object LOCK = new Object();
  private static CompletableFuture<String> inFlight;
  private static final AtomicReference<Report> waiting = new AtomicReference<>();

  private Reporter() {}

  /** Sends the report and returns the one line the run prints about it. */
  public static String report(Membership m, Report r) {
    return report(m, r, WAIT, true);
  }

  /**
   * Opens the connection to the room (and loads the HTTP client) while the tests run, so that the
   * report at the end costs a round-trip, not a JVM's first HTTP request: in a run's own JVM, that
   * first request alone can take longer than the wait.
   */
  public static void warmUp(Membership m) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(m.url() + "/api/ping?code=" + m.code())).timeout(BUDGET).GET().build();
    CLIENT.sendAsync(request, HttpResponse.BodyHandlers.discarding()); // the answer does not matter: the connection does
  }

  /**
   * Sends the report, waits for the room's answer at most wait, and returns the line to print.
   * staysAlive says whether this JVM outlives the run (the warm runner): if not, a report still on
   * its way when the run ends is lost, and the line says so rather than "in the background".
   */
  public static String report(Membership m, Report r, Duration wait, boolean staysAlive) {
    CompletableFuture<String> sent;
    synchronized (LOCK) {
      if (inFlight != null && !inFlight.isDone()) {
        waiting.set(r); // replaces an older waiting report: only the latest matters
        return "The room at " + m.address() + " is still taking your previous run; this one follows it.";
      }
      sent = inFlight = send(m, r);
    }
    try {
      return sent.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException slow) {
      return staysAlive ? "Reporting to the room at " + m.address() + " in the background."
          : "The room at " + m.address() + " did not answer within " + wait.toMillis() + " ms; it will get your next run.";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "Not reported to the room (interrupted).";
    } catch (ExecutionException e) {
      return "The room at " + m.address() + " could not be reached; your next run will be reported.";
    }
  }

  private static CompletableFuture<String> send(Membership m, Report r) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(m.url() + "/api/report")).timeout(BUDGET)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(r.toJson(JSON.createObjectNode()).toString())).build();
    return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .orTimeout(BUDGET.toMillis(), TimeUnit.MILLISECONDS)
        .handle((response, failure) -> {
          String line = failure != null
              ? "The room at " + m.address() + " could not be reached; your next run will be reported."
              : describe(m, response);
          synchronized (LOCK) { // under the lock that report() checks: a report never waits behind a send that is over
            Report next = waiting.getAndSet(null);
            inFlight = next == null ? null : send(m, next);
          }
          return line;
        });
  }

  private static String describe(Membership m, HttpResponse<String> response) {
    int status = response.statusCode();
    if (status / 100 == 2) return "Reported to the room at " + m.address() + " as " + m.name() + ".";
    String why = Report.clean(Report.firstLine(response.body() == null ? "" : response.body()), 160);
    return "The room at " + m.address() + " refused the report (" + status + (why.isEmpty() ? "" : ": " + why) + ").";
  }

  /**
   * Asks the room whether the code is its own, within the budget: 204 yes, 403 no, or -1 when the
   * room could not be reached (join saves the membership anyway: the room may start later).
   */
  public static int ping(Membership m) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(m.url() + "/api/ping?code=" + m.code())).timeout(BUDGET).GET().build();
    try {
      return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.discarding())
          .get(BUDGET.toMillis() + 200, TimeUnit.MILLISECONDS).statusCode();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    } catch (ExecutionException | TimeoutException e) {
      return -1;
    }
  }

  /** Waits (bounded) for the report on its way and the one behind it: a long-lived runner may call this before it stops. */
  public static void drain(Duration within) {
    long end = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < end) {
      CompletableFuture<String> f;
      synchronized (LOCK) {
        f = inFlight;
      }
      if ((f == null || f.isDone()) && waiting.get() == null) return;
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
