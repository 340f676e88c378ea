package workbook.faults;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * A data source over another whose prepared statements starting with one SQL prefix (say "INSERT
 * INTO processed_events") fail when they are run, at the runs chosen (counting every run of such a
 * statement, on every connection): the first few (an outage that passes), or only the n-th. What is
 * thrown is what the test makes: a lock timeout, an integrity violation, a duplicate key in another
 * driver's words. The statement is prepared as usual and fails only when executed, as a database
 * reports a lock timeout or a constraint (unlike {@link StatementFails}, which fails the prepare);
 * nothing is written by a failed run.
 */
public final class ExecutionFails extends DelegatingDataSource {
  private final String prefix;
  private final IntPredicate fails;
  private final Supplier<? extends SQLException> kind;
  private final AtomicInteger runs = new AtomicInteger();

  private ExecutionFails(DataSource real, String sqlPrefix, IntPredicate fails, Supplier<? extends SQLException> kind) {
    super(real);
    this.prefix = normal(sqlPrefix);
    this.fails = fails;
    this.kind = kind;
  }

  /** The first {@code failures} runs of the statements fail with what {@code kind} makes; the later ones go through. */
  public static ExecutionFails first(DataSource real, String sqlPrefix, int failures, Supplier<? extends SQLException> kind) {
    return new ExecutionFails(real, sqlPrefix, run -> run <= failures, kind);
  }

  /** Only the {@code n}-th run (1 for the first) of the statements fails, with what {@code kind} makes. */
  public static ExecutionFails nth(DataSource real, String sqlPrefix, int n, Supplier<? extends SQLException> kind) {
    return new ExecutionFails(real, sqlPrefix, run -> run == n, kind);
  }

  /** The runs of the statements so far, the failed ones too. */
  public int runs() { return runs.get(); }

  @Override protected Connection connection(Connection c) {
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          Object made = invoke(c, method, args);
          if (!(made instanceof PreparedStatement statement) || !(args[0] instanceof String sql)
              || !normal(sql).startsWith(prefix)) {
            return made;
          }
          return Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(), new Class<?>[] {PreparedStatement.class},
              (st, m, a) -> {
                if (m.getName().startsWith("execute") && fails.test(runs.incrementAndGet())) throw kind.get();
                return invoke(statement, m, a);
              });
        });
  }

  private static String normal(String sql) { return sql.strip().replaceAll("\\s+", " ").toUpperCase(Locale.ROOT); }
}
