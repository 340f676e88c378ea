//DEPS com.h2database:h2:2.4.240
package workbook.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;

/**
 * A fresh H2 database, in memory, one per test (or per demo run): nothing shared, nothing left
 * on disk. Close it to drop it.
 */
public final class Db implements AutoCloseable {
  private final JdbcDataSource dataSource = new JdbcDataSource();
  private final Connection keepAlive;
  private final String url;

  private Db(String name) {
    // DB_CLOSE_DELAY=-1 keeps the in-memory database while any code may still open connections;
    // the keep-alive connection and close() decide when it really goes away.
    url = "jdbc:h2:mem:" + name + "-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    dataSource.setURL(url);
    try {
      keepAlive = dataSource.getConnection();
    } catch (SQLException e) {
      throw new IllegalStateException("Could not open the H2 database " + url, e);
    }
  }

  /** A new, empty in-memory database; the name only makes logs readable. */
  public static Db fresh(String name) {
    return new Db(name);
  }

  /** Connections to this database (each JDBC connection is its own transaction scope). */
  public DataSource dataSource() {
    return dataSource;
  }

  public String url() {
    return url;
  }

  /** Runs SQL statements (DDL, seed data) separated by semicolons at line ends. */
  public Db execute(String sql) {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      for (String statement : sql.split(";\\s*(\\R|$)")) {
        if (!statement.isBlank()) s.execute(statement);
      }
      return this;
    } catch (SQLException e) {
      throw new IllegalStateException("SQL failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try (Statement s = keepAlive.createStatement()) {
      s.execute("SHUTDOWN");
    } catch (SQLException ignored) {
      // already shut down
    } finally {
      try { keepAlive.close(); } catch (SQLException ignored) { }
    }
  }
}
