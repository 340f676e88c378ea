package workbook.faults;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import javax.sql.DataSource;
import workbook.kafka.Timeline;

/**
 * A data source over another whose statements starting with one SQL prefix (say "INSERT INTO
 * outbox") fail while {@link #armed}: with an SQLException, or with an unchecked exception, as a
 * pool, a proxy or a driver wrapper may report a failure. Nothing is written by a failed statement.
 */
public final class StatementFails extends DelegatingDataSource {
  private final String prefix;
  private final String what;
  private final boolean unchecked;
  /** While true, every statement starting with the prefix fails as it is prepared. */
  public volatile boolean armed;

  /** {@code what} names the statement in the story and the failure, e.g. "the outbox insert". */
  public StatementFails(DataSource real, String sqlPrefix, String what, boolean unchecked) {
    super(real);
    this.prefix = sqlPrefix.strip().toUpperCase(Locale.ROOT);
    this.what = what;
    this.unchecked = unchecked;
  }

  @Override protected Connection connection(Connection c) {
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          if (armed && method.getName().startsWith("prepare") && args != null && args[0] instanceof String sql
              && sql.strip().toUpperCase(Locale.ROOT).startsWith(prefix)) {
            Timeline.note(what + " fails with " + (unchecked ? "an unchecked exception" : "an SQLException"));
            if (unchecked) throw new IllegalStateException(what + " failed (an unchecked failure the test injected)");
            throw new SQLException(what + " failed (a failure the test injected)", "08006");
          }
          return invoke(c, method, args);
        });
  }
}
