package workbook.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Runs a check under generated fault schedules: each schedule is a list of steps (a restart, an
 * outage, a redelivery...) drawn from a seeded Random, and the check runs it and then asserts the
 * lab's invariant. The seed is printed before each schedule, and a failure names the schedule and
 * the seed that made it, so any failure can be run again exactly:
 *
 * <pre>  WORKBOOK_DAEMON=off FAULTS_SEED=12345 ./jbang workbook@. test 10 3     one schedule, the one that failed
 *   WORKBOOK_DAEMON=off FAULTS_SCHEDULES=50 ./jbang workbook@. test 11 2   fifty schedules instead of the test's few</pre>
 *
 * (The warm runner that `test` uses keeps the environment it started with: WORKBOOK_DAEMON=off runs
 * the test in a JVM of its own, which sees these variables.)
 *
 * A generator must put every fault kind the invariant is about into every schedule (at places the
 * seed picks), so that a few schedules per run prove each rule every time; more schedules only
 * vary the places. Schedules must not wait on time: a fault happens at a counted point (the n-th
 * send, the commit after the k-th record), never after a sleep.
 */
public final class Schedules {
  private Schedules() {}

  /** One schedule's steps, run by the check; throws (an AssertionError) when the invariant broke. */
  @FunctionalInterface
  public interface Check<S> {
    void run(List<S> schedule) throws Exception;
  }

  /**
   * Generates and checks {@code byDefault} schedules (or FAULTS_SCHEDULES of them, or only the one
   * of FAULTS_SEED) for {@code what}, printing each seed. The first failure stops the run: its
   * message is the check's own, followed by the schedule and how to run it again.
   */
  public static <S> void check(String what, int byDefault, Function<Random, List<S>> generate, Check<S> check)
      throws Exception {
    for (long seed : seeds(byDefault)) {
      List<S> schedule = generate.apply(new Random(seed));
      String named = what + ", seed " + seed + ", " + schedule.size() + " steps: " + schedule;
      System.out.println("[faults] " + named);
      try {
        check.run(List.copyOf(schedule));
      } catch (UnsupportedOperationException todo) {
        throw todo; // the starter's "not done yet": the runner names the TODO
      } catch (AssertionError | Exception e) {
        throw new AssertionError(e.getMessage() + "\n[faults] under the schedule " + named
            + "\n[faults] run it again: WORKBOOK_DAEMON=off FAULTS_SEED=" + seed + " ./jbang workbook@. test NN", e);
      }
    }
  }

  /** FAULTS_SEED alone if set; else {@code byDefault} (or FAULTS_SCHEDULES) seeds from a fresh random one. */
  static List<Long> seeds(int byDefault) {
    String one = System.getenv("FAULTS_SEED");
    if (one != null && !one.isBlank()) return List.of(Long.parseLong(one.strip()));
    String many = System.getenv("FAULTS_SCHEDULES");
    int count = many != null && !many.isBlank() ? Integer.parseInt(many.strip()) : byDefault;
    long first = new Random().nextLong() & 0xFFFF_FFFFL; // short seeds: easy to copy from a log
    List<Long> seeds = new ArrayList<>();
    for (int i = 0; i < count; i++) seeds.add(first + i);
    return seeds;
  }

  /** {@code n} distinct positions in [0, size), in ascending order: where a schedule's faults go. */
  public static List<Integer> places(Random random, int size, int n) {
    List<Integer> all = new ArrayList<>();
    for (int i = 0; i < size; i++) all.add(i);
    java.util.Collections.shuffle(all, random);
    List<Integer> picked = new ArrayList<>(all.subList(0, Math.min(n, size)));
    picked.sort(null);
    return picked;
  }
}
