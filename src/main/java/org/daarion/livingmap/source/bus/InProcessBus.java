package org.daarion.livingmap.source.bus;

import org.daarion.livingmap.event.Acker;
import org.daarion.livingmap.event.EventIntake;

/**
 * The embedded default's bus: a publish goes straight into the intake on the publisher's thread, so
 * the simulator feels the sequencer's backpressure directly and nothing is dropped.
 */
public final class InProcessBus implements BusPublisher {
  private final EventIntake intake;

  public InProcessBus(EventIntake intake) {
    this.intake = intake;
  }

  @Override
  public void publish(String subject, byte[] data, String msgId) {
    intake.accept(subject, data, msgId, Acker.NONE);
  }
}
