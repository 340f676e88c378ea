//DEPS com.h2database:h2:2.4.240
package workbook.db;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import workbook.story.Story;

/**
 * A fresh H2 database, in memory, one per test (or per demo run): nothing shared, nothing left
 * on disk. Close it to drop it. Its connections tell the run's story what they do: each
 * statement, commit and rollback is drawn as an arrow to the database's lane (see {@link Recorded}).
 */
public final class Db implements AutoCloseable {
  private final JdbcDataSource dataSource = new JdbcDataSource();
  private final DataSource recorded;
  private final Connection keepAlive;
  private final String url;

  private Db(String name) {
    recorded = new Recorded(dataSource, "database " + name);
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

  /**
   * Connections to this database (each JDBC connection is its own transaction scope), whose
   * statements, commits and rollbacks are drawn on the run's story page.
   */
  public DataSource dataSource() {
    return recorded;
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

  // ---- the story of the database ----------------------------------------------------------------

  /**
   * A DataSource whose connections record each statement, commit and rollback as a story entry:
   * who did it (the consumer that last read a record on this thread, else the thread's name), the
   * statement short ("INSERT processed_events e-1") and, in the hover, its SQL with the values bound.
   * Writes, commits, rollbacks and failures (a duplicate key, a lock timeout) are also printed under
   * a failing test: they often explain it ("both committed e-1"). Reads are only drawn: a relay's
   * polling would bury the printed story.
   */
  static final class Recorded implements DataSource {
    private final DataSource real;
    private final String name;

    Recorded(DataSource real, String name) {
      this.real = real;
      this.name = name;
    }

    @Override public Connection getConnection() throws SQLException { return connection(real.getConnection()); }

    @Override public Connection getConnection(String user, String password) throws SQLException {
      return connection(real.getConnection(user, password));
    }

    private Connection connection(Connection c) {
      return (Connection) Proxy.newProxyInstance(Db.class.getClassLoader(), new Class<?>[] {Connection.class},
          new OnConnection(c));
    }

    @Override public PrintWriter getLogWriter() throws SQLException { return real.getLogWriter(); }
    @Override public void setLogWriter(PrintWriter out) throws SQLException { real.setLogWriter(out); }
    @Override public void setLoginTimeout(int seconds) throws SQLException { real.setLoginTimeout(seconds); }
    @Override public int getLoginTimeout() throws SQLException { return real.getLoginTimeout(); }
    @Override public Logger getParentLogger() { return Logger.getLogger("workbook.db"); }
    @Override public <T> T unwrap(Class<T> type) throws SQLException { return real.unwrap(type); }
    @Override public boolean isWrapperFor(Class<?> type) throws SQLException { return real.isWrapperFor(type); }

    /** Records what one call did: short is the arrow's label, sql the hover's. */
    void record(String shortForm, String sql, long startedAt, Throwable failure, Connection c) {
      String[] who = Story.actorOnThisThread();
      long waited = (System.nanoTime() - startedAt) / 1_000_000;
      // A statement that waited (for a lock) says so: the arrow is drawn when it returned.
      String label = waited >= 100 ? shortForm + " (waited " + waited + " ms)" : shortForm;
      Story.Builder entry = Story.entry(Story.Kind.STATEMENT, who[0]).group(who[1]).peer(name).key(sql);
      String line = String.format(Locale.ROOT, "%-6s %-41s by %s", "sql", cut(label, 41), who[0]);
      if (failure == null) {
        // Printed: what changes the data (a write, a commit, a rollback); a read only draws.
        if (!WRITES.matcher(shortForm).lookingAt()) {
          entry.eventType(label).add();
          return;
        }
        boolean autoCommit = !shortForm.equals("COMMIT") && !shortForm.equals("ROLLBACK") && autoCommit(c);
        entry.eventType(autoCommit ? label + " (auto-commit)" : label).line(autoCommit ? line + " (auto-commit)" : line).add();
        return;
      }
      String why = failure instanceof SQLException e && e.getSQLState() != null
          ? (e.getSQLState().equals("23505") ? "refused: duplicate key (23505)" : "failed (" + e.getSQLState() + ")")
          : "failed (" + failure.getClass().getSimpleName() + ")";
      entry.eventType(label + " " + why).failed(true).line(line + ": " + why).add();
    }

    private static boolean autoCommit(Connection c) {
      try {
        return c.getAutoCommit();
      } catch (SQLException e) {
        return false;
      }
    }

    /** Commits and rollbacks are recorded; statements are wrapped to record themselves. */
    private final class OnConnection implements InvocationHandler {
      private final Connection c;

      OnConnection(Connection c) { this.c = c; }

      @Override public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
        String method = m.getName();
        boolean ends = method.equals("commit") || method.equals("rollback") && (args == null || args.length == 0);
        long startedAt = System.nanoTime();
        Object result;
        try {
          result = m.invoke(c, args);
        } catch (InvocationTargetException e) {
          if (ends) record(method.toUpperCase(Locale.ROOT), method.toUpperCase(Locale.ROOT), startedAt, e.getCause(), c);
          throw e.getCause();
        }
        if (ends) record(method.toUpperCase(Locale.ROOT), method.toUpperCase(Locale.ROOT), startedAt, null, c);
        if (result instanceof Statement s && !(result instanceof java.sql.CallableStatement)) {
          String sql = method.equals("prepareStatement") ? (String) args[0] : null;
          Class<?> type = result instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
          return Proxy.newProxyInstance(Db.class.getClassLoader(), new Class<?>[] {type}, new OnStatement(s, sql, (Connection) proxy, c));
        }
        return result;
      }
    }

    /** Remembers a prepared statement's values, and records each execution. */
    private final class OnStatement implements InvocationHandler {
      private final Statement s;
      private final String prepared;
      private final Connection connection;
      private final Map<Integer, Object> values = new TreeMap<>();

      private final Connection real;

      OnStatement(Statement s, String prepared, Connection connection, Connection real) {
        this.real = real;
        this.s = s;
        this.prepared = prepared;
        this.connection = connection;
      }

      @Override public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
        String method = m.getName();
        if (method.equals("getConnection")) return connection;
        if (method.startsWith("set") && args != null && args.length >= 2 && args[0] instanceof Integer i
            && m.getParameterTypes()[0] == int.class && prepared != null) {
          values.put(i, method.equals("setNull") ? null : args[1]);
        } else if (method.equals("clearParameters")) {
          values.clear();
        }
        boolean runs = method.startsWith("execute");
        String sql = !runs ? null : args != null && args.length > 0 && args[0] instanceof String text ? text : bound(prepared, values);
        // Looking at the database's own state (who waits for a lock) is the test's plumbing, not the story.
        if (sql != null && sql.regionMatches(true, 0, "SELECT", 0, 6) && sql.toUpperCase(Locale.ROOT).contains("INFORMATION_SCHEMA")) sql = null;
        long startedAt = System.nanoTime();
        try {
          Object result = m.invoke(s, args);
          if (runs && sql != null) record(shortForm(sql), flat(sql), startedAt, null, real);
          return result;
        } catch (InvocationTargetException e) {
          if (runs && sql != null) record(shortForm(sql), flat(sql), startedAt, e.getCause(), real);
          throw e.getCause();
        }
      }
    }
  }

  private static final Pattern TABLE = Pattern.compile("^(\\w+)\\s+(?:.*?\\b(?:INTO|FROM|UPDATE)\\s+)?(\\w+)", Pattern.CASE_INSENSITIVE);
  private static final Pattern UPDATE = Pattern.compile("^(UPDATE)\\s+(\\w+)", Pattern.CASE_INSENSITIVE);
  private static final Pattern WRITES = Pattern.compile("INSERT|UPDATE|DELETE|MERGE|COMMIT|ROLLBACK");
  private static final Pattern FIRST_VALUE = Pattern.compile("'([^']{1,24})'");

  /** "INSERT processed_events e-1", "UPDATE stock", "SELECT processed_events": verb, table, first text value. */
  static String shortForm(String sql) {
    String flat = flat(sql);
    Matcher m = UPDATE.matcher(flat);
    if (!m.find()) {
      m = TABLE.matcher(flat);
      if (!m.find()) return cut(flat, 40);
    }
    String verb = m.group(1).toUpperCase(Locale.ROOT);
    Matcher value = FIRST_VALUE.matcher(flat);
    return verb + " " + m.group(2) + (verb.equals("INSERT") && value.find() ? " " + value.group(1) : "");
  }

  /** The SQL with its values in place of the ?s (for reading, not for running). */
  static String bound(String sql, Map<Integer, Object> values) {
    if (sql == null) return null;
    StringBuilder sb = new StringBuilder(sql.length() + 32);
    int n = 0;
    for (int i = 0; i < sql.length(); i++) {
      char c = sql.charAt(i);
      if (c != '?') { sb.append(c); continue; }
      Object v = values.get(++n);
      sb.append(v instanceof String || v instanceof Character ? "'" + v + "'" : String.valueOf(v));
    }
    return sb.toString();
  }

  /** One line, single spaces, at most 160 characters. */
  static String flat(String sql) {
    return cut(sql.strip().replaceAll("\\s+", " "), 160);
  }

  static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }
}
