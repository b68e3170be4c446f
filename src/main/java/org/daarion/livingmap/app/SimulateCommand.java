package org.daarion.livingmap.app;

import java.util.concurrent.CountDownLatch;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.ConfigException;
import org.daarion.livingmap.simulator.Simulator;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code living-map simulate}: the DAARION simulator alone. It serves the six upstream services'
 * endpoints on {@code LIVING_MAP_SIM_PORT} and publishes its events to {@code NATS_URL}, so a
 * Living Map configured with those URLs runs as in production.
 */
public final class SimulateCommand {
  private static final Logger log = LoggerFactory.getLogger(SimulateCommand.class);

  private SimulateCommand() {}

  public static void run(Config config) {
    String natsUrl =
        config.natsUrl.orElseThrow(
            () -> new ConfigException("simulate needs NATS_URL (--nats-url) to publish to"));
    NatsPublisher publisher = NatsPublisher.connect(natsUrl);
    Simulator sim = Simulator.runStandalone(config, publisher);
    log.info(
        "simulating DAARION: upstreams at {}, events to {} at {}/s",
        sim.baseUrl(),
        natsUrl,
        config.simRate);
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  sim.stop().await();
                  publisher.close();
                  done.countDown();
                },
                "shutdown"));
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
