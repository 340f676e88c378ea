///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES DecisionTree.java TradeOffs.java ../../shared/src/workbook/demo/*.java

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import workbook.demo.Stages;

/**
 * Lab 15's demo: the worked examples of docs/choosing.md through the decision tree, then what
 * each style wins and loses against the others. With arguments, it decides your own scenario.
 */
public class WorkedExamples {
  static final Scenario PRODUCT_DETAILS = Scenario.of("A browser fetches product details (cacheable)",
      Question.ANSWER_NOW, Question.BROWSER_OR_PUBLIC);
  static final Scenario PAYMENT = Scenario.of("Checkout validates the payment in real time",
      Question.ANSWER_NOW, Question.HOT_PATH);
  static final Scenario ORDER_CONFIRMED = Scenario.of("A confirmed order triggers fulfilment (stock, email, analytics, shipping)",
      Question.STALE_OK, Question.SEVERAL_CONSUMERS);
  static final Scenario USER_PROFILE = Scenario.of("The frontend fetches the user's profile (CRUD, cacheable)",
      Question.ANSWER_NOW, Question.BROWSER_OR_PUBLIC);
  static final Scenario RECOMMENDATIONS = Scenario.of("An ML service scores recommendations for every page view",
      Question.ANSWER_NOW, Question.HOT_PATH);
  static final Scenario WELCOME_EMAIL = Scenario.of("A signup triggers a welcome email (the email service alone reacts)",
      Question.STALE_OK);
  static final Scenario HEALTH_CHECK = Scenario.of("A load balancer checks a service's health",
      Question.ANSWER_NOW);
  static final Scenario STOCK_MONITOR = Scenario.of("A warehouse service watches live stock levels",
      Question.ANSWER_NOW, Question.HOT_PATH);
  static final List<Scenario> ALL = List.of(PRODUCT_DETAILS, PAYMENT, ORDER_CONFIRMED, USER_PROFILE,
      RECOMMENDATIONS, WELCOME_EMAIL, HEALTH_CHECK, STOCK_MONITOR);

  public static void main(String[] args) throws Exception {
    if (args.length > 0) {
      Scenario yours = Scenario.of("Your scenario", parse(args));
      Stages.run("\n== Your scenario: yes to " + yours.yes(), () -> print(DecisionTree.decide(yours)));
      return;
    }
    Stages.run("\n== The worked examples", () -> ALL.forEach(example -> {
      System.out.println("\n" + example.name());
      print(DecisionTree.decide(example));
    }));
    Stages.run("\n== What each style wins and loses against another", WorkedExamples::trades);
    System.out.println("\nDescribe your own: ./jbang lab15@. " + flags() + "  (name the questions you answer yes)");
  }

  static void print(DecisionTree.Decision decision) {
    decision.path().forEach(answer -> System.out.println("  " + answer));
    System.out.println("  => " + decision.pattern());
  }

  static void trades() {
    for (TradeOffs.Row row : TradeOffs.TABLE) System.out.printf("  %-18s %-22s %s%n", row.dimension(), row.bestFirst(), row.why());
    System.out.println();
    for (TradeOffs.Style chosen : TradeOffs.Style.values()) {
      for (TradeOffs.Style instead : TradeOffs.Style.values()) {
        if (chosen == instead) continue;
        TradeOffs.Trade trade = TradeOffs.versus(chosen, instead);
        System.out.printf("  %-6s instead of %-6s gains %s, costs %s%n", chosen.label, instead.label, trade.gains(), trade.costs());
      }
    }
    System.out.println();
    for (TradeOffs.Style style : TradeOffs.Style.values()) {
      System.out.println("  schema evolution, " + style.label + ": " + TradeOffs.SCHEMA_EVOLUTION.get(style));
    }
  }

  /** Reads question flags such as "answer-now"; anything else prints the usage and stops. */
  static Question[] parse(String[] args) {
    List<Question> yes = new ArrayList<>();
    for (String arg : args) {
      Question question = Arrays.stream(Question.values()).filter(q -> q.flag().equals(arg)).findFirst().orElse(null);
      if (question == null) {
        System.err.println("Unknown question '" + arg + "'. Usage: ./jbang lab15@. [" + flags() + "]");
        System.exit(2);
      }
      yes.add(question);
    }
    return yes.toArray(Question[]::new);
  }

  static String flags() { return String.join(" ", Arrays.stream(Question.values()).map(Question::flag).toList()); }
}
