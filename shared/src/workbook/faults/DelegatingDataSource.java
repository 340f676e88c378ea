package workbook.faults;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A data source that hands out another one's connections, each passed through {@link #connection}
 * (a proxy that injects a fault, watches, or pauses), and delegates everything else: what every
 * data source of this package, and the labs' own, would otherwise write out again.
 */
public abstract class DelegatingDataSource implements DataSource {
  /** The data source whose connections this one hands out. */
  protected final DataSource real;

  protected DelegatingDataSource(DataSource real) { this.real = real; }

  /** The connection handed out for {@code c}, just taken from the real data source; {@code c} itself by default. */
  protected Connection connection(Connection c) throws SQLException { return c; }

  @Override public Connection getConnection() throws SQLException { return connection(real.getConnection()); }

  @Override public Connection getConnection(String user, String password) throws SQLException {
    return connection(real.getConnection(user, password));
  }

  /** Calls {@code method} on {@code target} as a proxy passes a call on: what it throws is thrown as it is. */
  protected static Object invoke(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  @Override public PrintWriter getLogWriter() throws SQLException { return real.getLogWriter(); }
  @Override public void setLogWriter(PrintWriter out) throws SQLException { real.setLogWriter(out); }
  @Override public void setLoginTimeout(int seconds) throws SQLException { real.setLoginTimeout(seconds); }
  @Override public int getLoginTimeout() throws SQLException { return real.getLoginTimeout(); }
  @Override public Logger getParentLogger() throws SQLFeatureNotSupportedException { return real.getParentLogger(); }
  @Override public <T> T unwrap(Class<T> iface) throws SQLException { return real.unwrap(iface); }
  @Override public boolean isWrapperFor(Class<?> iface) throws SQLException { return real.isWrapperFor(iface); }
}
