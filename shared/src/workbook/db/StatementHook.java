package workbook.db;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * A data source over another that shows every statement to a hook as it is executed, before it runs: the hook gets the
 * connection the statement runs on (the real one, so that it may roll its transaction back, as a database does on a
 * deadlock) and the statement's SQL (the one it was prepared with, or the one handed to execute). The hook throws to
 * refuse the statement, which then writes nothing, or returns to let it run. Tests make a database refuse or fail one
 * kind of statement with it: a CHECK, a duplicate key in another driver's words, a deadlock, a lost connection.
 */
public final class StatementHook {
  /** What happens as a statement is executed: throw to refuse it (it writes nothing), return to let it run. */
  @FunctionalInterface
  public interface Hook {
    void executing(Connection connection, String sql) throws SQLException;
  }

  private StatementHook() {}

  /** {@code real}, except that every statement executed on a connection it hands out is shown to {@code hook} first. */
  public static DataSource over(DataSource real, Hook hook) {
    return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
        (proxy, method, args) -> {
          Object result = invoke(real, method, args);
          return result instanceof Connection c ? connection(c, hook) : result;
        });
  }

  /** Whether {@code sql} starts with {@code prefix}, case and runs of white space aside ("insert  into x" starts with "INSERT INTO"). */
  public static boolean startsWith(String sql, String prefix) { return normal(sql).startsWith(normal(prefix)); }

  /** The first word of {@code sql} (INSERT, UPDATE, ...), to name the statement in a note. */
  public static String verb(String sql) { return sql.strip().split("\\s+")[0]; }

  private static Connection connection(Connection c, Hook hook) {
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          Object made = invoke(c, method, args);
          if (!(made instanceof Statement statement)) return made;
          String prepared = args != null && args.length > 0 && args[0] instanceof String sql ? sql : null;
          Class<?> type = statement instanceof CallableStatement ? CallableStatement.class
              : statement instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
          return Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (sp, sm, sargs) -> {
            if (sm.getName().startsWith("execute")) {
              String sql = sargs != null && sargs.length > 0 && sargs[0] instanceof String given ? given : prepared;
              if (sql != null) hook.executing(c, sql);
            }
            return invoke(statement, sm, sargs);
          });
        });
  }

  private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static String normal(String sql) { return sql.strip().replaceAll("\\s+", " ").toUpperCase(Locale.ROOT); }
}
