package workbook.faults;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * A pool of one connection that hands it out again as it was returned: close() neither rolls back
 * nor resets auto-commit (Tomcat's jdbc-pool does the same unless told to roll back on return), so
 * whatever one user left uncommitted, the next user's commit saves. With a plain connection, close()
 * rolls back for you; with this pool only an explicit rollback() does. Close the pool to end it.
 */
public final class OnePooledConnection extends DelegatingDataSource implements AutoCloseable {
  private final Connection physical;

  public OnePooledConnection(DataSource real) throws SQLException {
    super(real);
    this.physical = real.getConnection();
  }

  @Override public Connection getConnection() {
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          if (method.getName().equals("close")) return null; // back to the pool, as it is
          if (method.getName().equals("isClosed")) return false;
          return invoke(physical, method, args);
        });
  }

  @Override public Connection getConnection(String user, String password) { return getConnection(); }

  /** Ends the pool: what its last user left open is rolled back, and the connection closed. */
  @Override public void close() throws SQLException {
    physical.rollback();
    physical.close();
  }
}
