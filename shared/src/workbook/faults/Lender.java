package workbook.faults;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Lends the connections of another data source and watches how they come back, as a pool would: a
 * connection never closed (a pool runs dry), or closed with its transaction still open (auto-commit
 * off and a statement since the last commit() or rollback(); a rollback to a savepoint does not end
 * the transaction), which a pool hands to its next user as it is (labs 10, 11).
 */
public final class Lender extends DelegatingDataSource {
  private final AtomicInteger lent = new AtomicInteger();
  private final Map<Integer, String> out = new ConcurrentSkipListMap<>();
  private final List<String> badReturns = new CopyOnWriteArrayList<>();

  public Lender(DataSource real) { super(real); }

  /** What came back wrong, and what never came back; empty when every connection was returned as it was lent. */
  public List<String> problems() {
    List<String> all = new ArrayList<>(badReturns);
    out.forEach((n, what) -> all.add("the " + ordinal(n) + " connection was never closed (" + what + ")"));
    return all;
  }

  @Override protected Connection connection(Connection c) throws SQLException {
    int n = lent.incrementAndGet();
    out.put(n, "lent on thread " + Thread.currentThread().getName());
    boolean[] autoCommit = {c.getAutoCommit()};
    boolean[] inTransaction = {false};
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          String name = method.getName();
          boolean noArgs = args == null || args.length == 0;
          if (name.equals("close") && out.remove(n) != null && !autoCommit[0] && inTransaction[0]) {
            badReturns.add("the " + ordinal(n) + " connection was closed with its transaction still open (auto-commit"
                + " off, statements run, neither commit() nor rollback() since)");
          }
          Object result = invoke(c, method, args);
          if (name.equals("setAutoCommit")) {
            autoCommit[0] = (Boolean) args[0];
            if (autoCommit[0]) inTransaction[0] = false; // turning auto-commit on commits
          } else if ((name.equals("commit") || name.equals("rollback")) && noArgs) {
            inTransaction[0] = false;
          } else if (name.startsWith("prepare") || name.equals("createStatement")) {
            if (!autoCommit[0]) inTransaction[0] = true;
          }
          return result;
        });
  }

  /** 1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, 21st. */
  public static String ordinal(int n) {
    int tens = n % 100;
    String suffix = tens >= 11 && tens <= 13 ? "th" : switch (n % 10) {
      case 1 -> "st";
      case 2 -> "nd";
      case 3 -> "rd";
      default -> "th";
    };
    return n + suffix;
  }
}
