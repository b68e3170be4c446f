package org.daarion.livingmap.alert;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Tells people about alerts. Called on the state owner's thread once per change of an alert that is
 * not silenced; implementations must return at once and deliver elsewhere. A firing alert is
 * offered once ({@link #firing}), its resolution once ({@link #resolved}) if the firing was
 * offered; {@link #stillFiring} repeats the firing ones periodically for receivers that expire
 * alerts they stop hearing about (Alertmanager).
 */
public interface AlertNotifier {
  void firing(Alert alert);

  void resolved(Alert alert);

  default void stillFiring(List<Alert> firing) {}

  /** Deliveries given up after every attempt, newest first. */
  default List<JsonObject> deadLetters() {
    return List.of();
  }

  AlertNotifier NONE =
      new AlertNotifier() {
        @Override
        public void firing(Alert alert) {}

        @Override
        public void resolved(Alert alert) {}
      };
}
