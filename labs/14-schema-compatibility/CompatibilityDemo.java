///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES SchemaRegistry.java MigratingConsumer.java ../../shared/src/workbook/demo/*.java

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import workbook.demo.Stages;

/**
 * Lab 14's demo: the changes each compatibility mode lets through, why transitive modes exist,
 * a consumer reading old and new events during a migration, and a rename no registry can catch.
 */
public class CompatibilityDemo {
  static final Schema V1 = Schema.of("order.placed", 1, "orderId: string, amount: double, currency: string = EUR");
  static final List<SchemaRegistry.Mode> MODES = List.of(
      SchemaRegistry.Mode.BACKWARD, SchemaRegistry.Mode.FORWARD, SchemaRegistry.Mode.FULL, SchemaRegistry.Mode.NONE);

  public static void main(String[] args) throws Exception {
    if (args.length > 0) {
      System.err.println("Usage: ./jbang lab14@.   (no arguments; the tests are ./jbang workbook@. test 14)");
      System.exit(2);
    }
    Stages.run("\n1. Which change each mode accepts, starting from " + V1, CompatibilityDemo::matrix);
    Stages.run("\n2. BACKWARD checks the latest version only; BACKWARD_TRANSITIVE checks them all", CompatibilityDemo::transitive);
    Stages.run("\n3. During a migration, a v2 and a v1 consumer read the same topic", CompatibilityDemo::migration);
    Stages.run("\n4. A rename every mode accepts, and what it costs", CompatibilityDemo::rename);
  }

  static void matrix() {
    Map<String, Schema> changes = new LinkedHashMap<>();
    changes.put("add channel with a default", V1.plus("channel: string = web"));
    changes.put("add channel without a default", V1.plus("channel: string"));
    changes.put("remove currency (had a default)", V1.minus("currency"));
    changes.put("remove amount (had no default)", V1.minus("amount"));
    changes.put("change amount to a string", V1.replace("amount", "amount: string"));
    changes.put("rename amount to total", V1.replace("amount", "total: double"));
    System.out.printf("  %-34s %-14s %-14s %-14s %s%n", "change", "BACKWARD", "FORWARD", "FULL", "NONE");
    changes.forEach((name, v2) -> {
      // the whole row first, so a row stopped at a TODO prints nothing half done
      StringBuilder row = new StringBuilder(String.format("  %-34s", name));
      for (SchemaRegistry.Mode mode : MODES) row.append(String.format(" %-14s", cell(SchemaRegistry.problems(mode, v2, V1))));
      System.out.println(row.toString().stripTrailing());
    });
  }

  static String cell(List<Compatibility.Problem> problems) {
    return problems.isEmpty() ? "ok" : "NO: " + String.join("+", problems.stream().map(p -> p.field()).distinct().toList());
  }

  static void transitive() {
    Schema v1 = Schema.of("order.placed", 1, "orderId: string, amount: double");
    Schema v2 = v1.plus("channel: string = web");
    Schema v3 = v2.replace("channel", "channel: string");
    System.out.println("  v2 adds channel with a default; v3 drops the default. Old v1 events stay in the topic.");
    for (SchemaRegistry.Mode mode : List.of(SchemaRegistry.Mode.BACKWARD, SchemaRegistry.Mode.BACKWARD_TRANSITIVE)) {
      SchemaRegistry registry = new SchemaRegistry(mode);
      registry.register(v1);
      registry.register(v2);
      SchemaRegistry.Verdict verdict = registry.register(v3);
      System.out.println("  " + mode + ": v3 " + (verdict.accepted() ? "accepted" : "rejected: " + verdict.problems()));
    }
  }

  static void migration() {
    Schema v2 = V1.plus("channel: string = web");
    List<Map<String, Object>> topic = List.of(
        event("orderId", "o-1", "amount", 12.5, "currency", "EUR"),
        event("orderId", "o-2", "amount", 30.0, "currency", "USD", "channel", "app"),
        event("orderId", "o-3", "amount", 7.0, "currency", "EUR"));
    for (Schema reader : List.of(v2, V1)) {
      System.out.println("  consumer on v" + reader.version() + ":");
      MigratingConsumer consumer = new MigratingConsumer(reader);
      for (Map<String, Object> event : topic) System.out.println("    " + event + "  ->  " + consumer.read(event));
    }
  }

  static void rename() {
    Schema v2 = V1.replace("currency", "currencyCode: string = EUR");
    System.out.println("  " + v2 + " under FULL: " + cell(SchemaRegistry.problems(SchemaRegistry.Mode.FULL, v2, V1)));
    Map<String, Object> old = event("orderId", "o-9", "amount", 99.0, "currency", "USD");
    System.out.println("  a v2 consumer reads " + old + "  ->  " + new MigratingConsumer(v2).read(old));
    System.out.println("  The USD is gone: a registry compares shapes, not meaning.");
  }

  /** A decoded event with its fields in the order written, so the output reads like the JSON. */
  static Map<String, Object> event(Object... namesAndValues) {
    Map<String, Object> event = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) event.put((String) namesAndValues[i], namesAndValues[i + 1]);
    return event;
  }
}
