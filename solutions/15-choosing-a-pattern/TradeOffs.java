//JAVA 17+

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The trade-off dimensions of docs/choosing.md as orderings, not numbers: on each, which style
 * does better than which. Choosing one style over another wins some rows and loses others.
 */
final class TradeOffs {
  private TradeOffs() {}

  enum Style {
    REST("REST"), GRPC("gRPC"), EVENTS("events");

    final String label;

    Style(String label) { this.label = label; }

    @Override public String toString() { return label; }
  }

  enum Dimension { LATENCY, TEMPORAL_COUPLING, SCHEMA_COUPLING, DEBUGGING, OPERATIONS }

  /** One dimension: the styles best first, "=" joining a tie ("events, REST = gRPC"), and why. */
  record Row(Dimension dimension, String bestFirst, String why) {
    /** 0 for the best place, 1 for the next, and so on; styles in a tie share a place. */
    int place(Style style) {
      String[] places = bestFirst.split(",");
      for (int i = 0; i < places.length; i++) {
        for (String name : places[i].split("=")) if (name.strip().equals(style.label)) return i;
      }
      throw new IllegalStateException(dimension + " does not place " + style.label + ": " + bestFirst);
    }
  }

  // Looser coupling is better on the coupling rows; what strict schemas buy (a broken change
  // fails the build) is counted under schema evolution, which has no single winner.
  static final List<Row> TABLE = List.of(
      new Row(Dimension.LATENCY, "gRPC, REST, events",
          "binary on a kept-open HTTP/2 connection; JSON over HTTP is close; a broker write, replication and a poll, by design"),
      new Row(Dimension.TEMPORAL_COUPLING, "events, REST = gRPC",
          "a producer does not wait for its consumers; REST and gRPC callers wait for the callee to answer"),
      new Row(Dimension.SCHEMA_COUPLING, "REST, events, gRPC",
          "JSON is loose; an event schema in a registry is medium; a .proto compiled into both sides is strict"),
      new Row(Dimension.DEBUGGING, "REST, gRPC, events",
          "text and curl; binary and grpcurl; a chain of events across topics and consumers"),
      new Row(Dimension.OPERATIONS, "REST, gRPC, events",
          "HTTP server, load balancer, gateway; plus proto registry, code generation, gRPC-Web proxy; "
              + "plus broker, schema registry, dead letters, lag monitoring"));

  /** The fifth dimension, schema evolution: each style has its own discipline, and none simply wins. */
  static final Map<Style, String> SCHEMA_EVOLUTION = Map.of(
      Style.REST, "no versioning of its own: a version in the URL or the Accept header, or tolerant readers (lab 03)",
      Style.GRPC, "field numbers: add freely, never reuse or retype, and let a checker fail the build (lab 07)",
      Style.EVENTS, "a schema registry with compatibility modes; old events stay in the log and are read again (lab 14)");

  /** What one style wins and loses against another: the dimensions where it does better, and worse. */
  record Trade(List<Dimension> gains, List<Dimension> costs) {}

  /** What choosing {@code chosen} instead of {@code instead} wins and loses, on the table above. */
  static Trade versus(Style chosen, Style instead) { return versus(chosen, instead, TABLE); }

  static Trade versus(Style chosen, Style instead, List<Row> table) {
    // Compare places, not "who is best": beating the other style is a gain even from second
    // place, and a tie is neither, since the choice changes nothing on that row.
    List<Dimension> gains = new ArrayList<>();
    List<Dimension> costs = new ArrayList<>();
    for (Row row : table) {
      int mine = row.place(chosen), theirs = row.place(instead);
      if (mine < theirs) gains.add(row.dimension());
      if (mine > theirs) costs.add(row.dimension());
    }
    return new Trade(List.copyOf(gains), List.copyOf(costs));
  }
}
