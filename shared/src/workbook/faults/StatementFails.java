package workbook.faults;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Locale;
import java.util.logging.Logger;
import javax.sql.DataSource;
import workbook.kafka.Timeline;

/**
 * A data source over another whose statements starting with one SQL prefix (say "INSERT INTO
 * outbox") fail while {@link #armed}: with an SQLException, or with an unchecked exception, as a
 * pool, a proxy or a driver wrapper may report a failure. Nothing is written by a failed statement.
 */
public final class StatementFails implements DataSource {
  private final DataSource real;
  private final String prefix;
  private final String what;
  private final boolean unchecked;
  /** While true, every statement starting with the prefix fails as it is prepared. */
  public volatile boolean armed;

  /** {@code what} names the statement in the story and the failure, e.g. "the outbox insert". */
  public StatementFails(DataSource real, String sqlPrefix, String what, boolean unchecked) {
    this.real = real;
    this.prefix = sqlPrefix.strip().toUpperCase(Locale.ROOT);
    this.what = what;
    this.unchecked = unchecked;
  }

  @Override public Connection getConnection() throws SQLException { return failing(real.getConnection()); }

  @Override public Connection getConnection(String user, String password) throws SQLException {
    return failing(real.getConnection(user, password));
  }

  private Connection failing(Connection c) {
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          if (armed && method.getName().startsWith("prepare") && args != null && args[0] instanceof String sql
              && sql.strip().toUpperCase(Locale.ROOT).startsWith(prefix)) {
            Timeline.note(what + " fails with " + (unchecked ? "an unchecked exception" : "an SQLException"));
            if (unchecked) throw new IllegalStateException(what + " failed (an unchecked failure the test injected)");
            throw new SQLException(what + " failed (a failure the test injected)", "08006");
          }
          try {
            return method.invoke(c, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Override public PrintWriter getLogWriter() throws SQLException { return real.getLogWriter(); }
  @Override public void setLogWriter(PrintWriter out) throws SQLException { real.setLogWriter(out); }
  @Override public void setLoginTimeout(int seconds) throws SQLException { real.setLoginTimeout(seconds); }
  @Override public int getLoginTimeout() throws SQLException { return real.getLoginTimeout(); }
  @Override public Logger getParentLogger() throws SQLFeatureNotSupportedException { return real.getParentLogger(); }
  @Override public <T> T unwrap(Class<T> iface) throws SQLException { return real.unwrap(iface); }
  @Override public boolean isWrapperFor(Class<?> iface) throws SQLException { return real.isWrapperFor(iface); }
}
