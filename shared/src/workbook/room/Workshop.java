package workbook.room;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A workshop's load on a room, simulated on loopback: each learner reports a run every 1 to 3 s
 * (more often than a learner in watch saves), on a random lab and step, for a bounded time. Used by
 * the room's tests (is any report lost?) and by its benchmark (how fast, how big).
 */
public final class Workshop {
  private Workshop() {}

  /** What a load produced: reports sent, reports not answered 204 in time, and each report's latency in ns. */
  public record Result(int sent, int lost, List<Long> latencies) {
    /** The latency at quantile q (0.5, 0.99), in milliseconds. */
    public double ms(double q) {
      if (latencies.isEmpty()) return 0;
      List<Long> sorted = new ArrayList<>(latencies);
      Collections.sort(sorted);
      return sorted.get(Math.min(sorted.size() - 1, Math.max(0, (int) Math.ceil(q * sorted.size()) - 1))) / 1e6;
    }
  }

  /**
   * Runs the load and returns once every report sent has had its answer (or its timeout). Learners
   * report on the labs given, with a seeded random choice: the same arguments make the same runs.
   */
  public static Result run(URI room, String code, List<Room.Lab> labs, int learners, Duration length, Duration timeout)
      throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
    ObjectMapper json = new ObjectMapper();
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger sent = new AtomicInteger(), lost = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(learners); // a learner is done when its last report is answered
    ScheduledExecutorService runs = Executors.newScheduledThreadPool(8, r -> {
      Thread t = new Thread(r, "workshop-learner");
      t.setDaemon(true);
      return t;
    });
    long end = System.nanoTime() + length.toNanos();
    try {
      for (int i = 0; i < learners; i++) {
        String id = String.format("learner-%06d", i), name = "Learner " + i;
        Random random = new Random(i);
        Runnable[] next = new Runnable[1];
        next[0] = () -> {
          if (System.nanoTime() > end) {
            done.countDown();
            return;
          }
          Room.Lab lab = labs.get(random.nextInt(labs.size()));
          int step = 1 + random.nextInt(lab.steps());
          String body = new Report(code, id, name, lab.id(), step, random.nextInt(5) == 0, "a test of step " + step,
              "TODO " + step + ": expected something, got something else", 1.2, "workshop").toJson(json.createObjectNode()).toString();
          long t0 = System.nanoTime();
          sent.incrementAndGet();
          http.sendAsync(HttpRequest.newBuilder(room.resolve("/api/report")).timeout(timeout)
                  .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding())
              .whenComplete((r, e) -> {
                latencies.add(System.nanoTime() - t0);
                if (e != null || r.statusCode() != 204) lost.incrementAndGet();
                runs.schedule(next[0], 1000 + random.nextInt(2000), TimeUnit.MILLISECONDS);
              });
        };
        runs.schedule(next[0], random.nextInt(1000), TimeUnit.MILLISECONDS);
      }
      // Bounded: the load's length, the last reports' timeout, and a margin for a busy machine.
      if (!done.await(length.plus(timeout).toMillis() + 5000, TimeUnit.MILLISECONDS))
        throw new IllegalStateException("the simulated learners did not finish within the load's length plus their timeout");
      return new Result(sent.get(), lost.get(), List.copyOf(latencies));
    } finally {
      runs.shutdownNow();
    }
  }
}
