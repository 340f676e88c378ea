package workbook.faults;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import workbook.kafka.Timeline;

/**
 * The real database, with faults at counted commits: the process dies just before the n-th
 * commit (the transaction is rolled back), just after it (the transaction is saved, whatever the
 * process meant to do next is not done), or the commit fails (rolled back, an SQLException).
 * Commits are counted over every connection, from 1; only explicit commit() calls count.
 */
public final class FaultyDatabase extends DelegatingDataSource {
  /** What happens at a counted commit. */
  public enum Fault { CRASH_BEFORE_COMMIT, CRASH_AFTER_COMMIT, COMMIT_FAILS }

  private final AtomicInteger commits = new AtomicInteger();
  private final Map<Integer, Fault> planned = new ConcurrentHashMap<>();
  private final Map<Integer, Runnable> meanwhile = new ConcurrentHashMap<>();

  public FaultyDatabase(DataSource real) { super(real); }

  /** The {@code n}-th commit from now on (1 = the next one) meets {@code fault}. */
  public void at(int n, Fault fault) { planned.put(commits.get() + n, fault); }

  /**
   * Runs {@code action} when the {@code n}-th commit from now on (1 = the next one) is called, before that commit
   * happens: something that happens meanwhile, while the caller holds work it has not committed (another member
   * joins the group, say).
   */
  public void before(int n, Runnable action) { meanwhile.put(commits.get() + n, action); }

  /** Actions planned with {@link #before} and not run yet. */
  public int actionsPending() { return meanwhile.size(); }

  /** Commits so far (whether a fault met them or not). */
  public int commits() { return commits.get(); }

  /** Faults planned and not met yet. */
  public int faultsPending() { return planned.size(); }

  @Override protected Connection connection(Connection c) {
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          if (method.getName().equals("commit") && (args == null || args.length == 0)) {
            int n = commits.incrementAndGet();
            Runnable action = meanwhile.remove(n);
            if (action != null) action.run();
            Fault fault = planned.remove(n);
            if (fault == Fault.CRASH_BEFORE_COMMIT) {
              c.rollback();
              Timeline.note("the process dies just before database commit " + n + " (it is rolled back)");
              throw new Crash("the process died just before database commit " + n);
            }
            if (fault == Fault.COMMIT_FAILS) {
              c.rollback();
              Timeline.note("database commit " + n + " fails (rolled back)");
              throw new SQLException("could not commit: rolled back (a fault the test injects)", "40001");
            }
            c.commit();
            if (fault == Fault.CRASH_AFTER_COMMIT) {
              Timeline.note("the process dies just after database commit " + n);
              throw new Crash("the process died just after database commit " + n);
            }
            return null;
          }
          return invoke(c, method, args);
        });
  }
}
