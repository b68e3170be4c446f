package org.daarion.livingmap;

import org.daarion.livingmap.config.Config;

/** {@code living-map simulate}: the DAARION simulator alone, publishing to NATS. */
final class SimulateCommand {
  private SimulateCommand() {}

  static void run(Config config) {
    throw new UnsupportedOperationException("simulate: wired when the simulator lands");
  }
}
