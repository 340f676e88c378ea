//JAVA 17+
//SOURCES Shop.java Reaction.java ../../shared/src/workbook/rest/*.java ../../shared/src/workbook/kafka/*.java

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import workbook.kafka.Json;

/**
 * Confirming an order: which calls must the customer wait for, and which can happen after?
 * The starter calls all five services in a row: slow, and any outage fails the order.
 */
final class Checkout {
  private final Shop shop;
  private final Producer<String, String> events;
  private final String topic;

  Checkout(Shop shop, Producer<String, String> events, String topic) {
    this.shop = shop;
    this.events = events;
    this.topic = topic;
  }

  /** Confirms the order, or throws ServiceFailed; the customer's browser waits for this. */
  void confirmOrder(String orderId) {
    // TODO 1: call only inventory, then payment, then publish(orderConfirmed(orderId)); the other three move to Reaction.
    shop.inventory().call(orderId);
    shop.payment().call(orderId);
    shop.notification().call(orderId);
    shop.analytics().call(orderId);
    shop.shipping().call(orderId);
  }

  record OrderConfirmed(String eventType, String orderId) {}

  /** The event: keyed by the order id, so every event of one order lands on one partition, in order. */
  ProducerRecord<String, String> orderConfirmed(String orderId) {
    return new ProducerRecord<>(topic, orderId, Json.write(new OrderConfirmed("order.confirmed", orderId)));
  }

  /**
   * Sends the event and waits until the broker has stored it (Clients' producer uses acks=all):
   * only then may checkout say "confirmed", because from then on the event cannot be lost.
   */
  void publish(ProducerRecord<String, String> event) {
    try {
      events.send(event).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new Shop.ServiceFailed("the broker did not take " + event.key() + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Shop.ServiceFailed("interrupted while publishing " + event.key());
    }
  }
}
