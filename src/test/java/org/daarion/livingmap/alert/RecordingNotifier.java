package org.daarion.livingmap.alert;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what it is told, for tests. */
final class RecordingNotifier implements AlertNotifier {
  final List<Alert> firing = new CopyOnWriteArrayList<>();
  final List<Alert> resolved = new CopyOnWriteArrayList<>();
  final List<List<Alert>> refreshes = new CopyOnWriteArrayList<>();

  @Override
  public void firing(Alert alert) {
    firing.add(alert);
  }

  @Override
  public void resolved(Alert alert) {
    resolved.add(alert);
  }

  @Override
  public void stillFiring(List<Alert> list) {
    refreshes.add(list);
  }
}
