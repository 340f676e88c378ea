package workbook.faults;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A pool of one connection that hands it out again as it was returned: close() neither rolls back
 * nor resets auto-commit (Tomcat's jdbc-pool does the same unless told to roll back on return), so
 * whatever one user left uncommitted, the next user's commit saves. With a plain connection, close()
 * rolls back for you; with this pool only an explicit rollback() does. Close the pool to end it.
 */
public final class OnePooledConnection implements DataSource, AutoCloseable {
  private final DataSource real;
  private final Connection physical;

  public OnePooledConnection(DataSource real) throws SQLException {
    this.real = real;
    this.physical = real.getConnection();
  }

  @Override public Connection getConnection() {
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          if (method.getName().equals("close")) return null; // back to the pool, as it is
          if (method.getName().equals("isClosed")) return false;
          try {
            return method.invoke(physical, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Override public Connection getConnection(String user, String password) { return getConnection(); }
  @Override public PrintWriter getLogWriter() throws SQLException { return real.getLogWriter(); }
  @Override public void setLogWriter(PrintWriter out) throws SQLException { real.setLogWriter(out); }
  @Override public void setLoginTimeout(int seconds) throws SQLException { real.setLoginTimeout(seconds); }
  @Override public int getLoginTimeout() throws SQLException { return real.getLoginTimeout(); }
  @Override public Logger getParentLogger() throws SQLFeatureNotSupportedException { return real.getParentLogger(); }
  @Override public <T> T unwrap(Class<T> iface) throws SQLException { return real.unwrap(iface); }
  @Override public boolean isWrapperFor(Class<?> iface) throws SQLException { return real.isWrapperFor(iface); }

  /** Ends the pool: what its last user left open is rolled back, and the connection closed. */
  @Override public void close() throws SQLException {
    physical.rollback();
    physical.close();
  }
}
