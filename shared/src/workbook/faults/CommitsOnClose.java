package workbook.faults;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import javax.sql.DataSource;

/**
 * A data source over another whose connections, closed in the middle of a transaction, commit it,
 * as Oracle's driver does (JDBC leaves it to the driver; H2 and PostgreSQL roll back): only an
 * explicit {@code rollback()} keeps a failed transaction's work out (lab 16).
 */
public final class CommitsOnClose extends DelegatingDataSource {
  public CommitsOnClose(DataSource real) { super(real); }

  @Override protected Connection connection(Connection c) {
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          if (method.getName().equals("close") && !c.isClosed() && !c.getAutoCommit()) c.commit();
          return invoke(c, method, args);
        });
  }
}
