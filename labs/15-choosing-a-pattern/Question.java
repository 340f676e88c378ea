//JAVA 17+

import java.util.Locale;

/**
 * The questions of the decision tree, each with what a yes and a no mean for the design. A
 * decision's reasons are the questions it asked and the answers it got. Nothing to edit.
 */
enum Question {
  ANSWER_NOW("Does the caller need an immediate answer?",
      "the caller waits for the answer (or holds a stream open), so the call is synchronous",
      "the caller can move on; the work may happen later"),
  BROWSER_OR_PUBLIC("Is it browser-facing or public?",
      "browsers cannot call gRPC directly, and outside clients expect HTTP and JSON",
      "only your own services and infrastructure call it"),
  HOT_PATH("Is throughput or latency critical?",
      "binary Protobuf over one multiplexed HTTP/2 connection pays off",
      "REST is fast enough, and easier to debug and operate"),
  STALE_OK("Can readers tolerate eventual consistency?",
      "a reader may see the old state for a moment",
      "someone must read their own write at once: that part stays synchronous"),
  SEVERAL_CONSUMERS("Do several consumers react to it?",
      "one event, many independent reactions; a new consumer needs no change in the producer",
      "one consumer does the work"),
  ORDER_MATTERS("Is ordering critical?",
      "key every event by its entity id: order holds within a partition",
      "any broker or work queue will do");

  final String text;
  final String ifYes;
  final String ifNo;

  Question(String text, String ifYes, String ifNo) {
    this.text = text;
    this.ifYes = ifYes;
    this.ifNo = ifNo;
  }

  /** The name on the demo's command line: ANSWER_NOW is "answer-now". */
  String flag() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }
}
