package workbook.faults;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A data source over another whose commits fail, as when the disk fills up at the last moment:
 * every commit, or only the n-th (counting every connection's). A commit is {@code commit()}, or
 * {@code setAutoCommit(true)} while auto-commit is off (which commits). The work was done; the
 * commit throws an SQLException before it reaches the database, so nothing of that transaction is
 * stored unless the caller commits it some other way (lab 16).
 */
public final class CommitFails extends DelegatingDataSource {
  private final int failing;
  private final AtomicInteger commits = new AtomicInteger();

  private CommitFails(DataSource real, int failing) {
    super(real);
    this.failing = failing;
  }

  /** Every commit fails. */
  public static CommitFails every(DataSource real) { return new CommitFails(real, 0); }

  /** Only the {@code n}-th commit (1 for the first) fails; the others go through. */
  public static CommitFails nth(DataSource real, int n) {
    if (n < 1) throw new IllegalArgumentException("n counts commits from 1: " + n);
    return new CommitFails(real, n);
  }

  /** The commits tried so far, the failed ones too. */
  public int commits() { return commits.get(); }

  @Override protected Connection connection(Connection c) {
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          boolean commit = method.getName().equals("commit") && (args == null || args.length == 0)
              || method.getName().equals("setAutoCommit") && Boolean.TRUE.equals(args[0]) && !c.getAutoCommit();
          if (commit) {
            int k = commits.incrementAndGet();
            if (failing == 0) throw new SQLException("simulated: the database refused the commit (disk full)");
            if (k == failing) throw new SQLException("simulated: the database refused commit " + k + " (disk full)");
          }
          return invoke(c, method, args);
        });
  }
}
