package org.daarion.livingmap.app;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.UpstreamSource;
import org.daarion.livingmap.simulator.Simulator;
import org.daarion.livingmap.source.upstream.SourcePolicy;
import org.daarion.livingmap.source.upstream.UpstreamPoller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sources part: NATS (the topology's ingest), the built-in simulator when configured, and the
 * poller of the six upstream sources. Started after the pipeline, so no event arrives before the
 * state is restored.
 */
final class Sources {
  private static final Logger log = LoggerFactory.getLogger(Sources.class);

  /** The built-in simulator, or null when it does not run. */
  final Simulator simulator;

  final UpstreamPoller poller;

  /**
   * Starts NATS (on a worker: it blocks while connecting), then the simulator; completes when the
   * simulator's upstream endpoints listen and the poller has started.
   */
  static Future<Sources> start(
      Config config,
      Vertx vertx,
      Closer closer,
      Pipeline pipeline,
      AtomicReference<UpstreamPoller> late) {
    return vertx
        .executeBlocking(
            () -> {
              pipeline.topology.startIngest(pipeline, closer);
              return null;
            },
            false)
        .compose(v -> startSimulator(config, vertx, closer, pipeline))
        .map(simulator -> new Sources(config, vertx, closer, pipeline, simulator, late));
  }

  /** The simulator (the embedded default) feeds the in-process bus. */
  private static Future<Simulator> startSimulator(
      Config config, Vertx vertx, Closer closer, Pipeline pipeline) {
    if (!config.simulatorEnabled()) {
      return Future.succeededFuture(null);
    }
    Simulator simulator = Simulator.create(config, vertx, pipeline.bus);
    closer.add(() -> simulator.stop().await());
    return simulator
        .start()
        .map(
            simPort -> {
              log.info("simulator serving DAARION upstreams at {}", simulator.baseUrl());
              return simulator;
            });
  }

  /**
   * Polls the six upstream sources: the configured URLs, and the built-in simulator for the ones
   * left unset when it runs. Sources with neither are not polled.
   */
  private Sources(
      Config config,
      Vertx vertx,
      Closer closer,
      Pipeline pipeline,
      Simulator simulator,
      AtomicReference<UpstreamPoller> late) {
    this.simulator = simulator;
    Map<UpstreamSource, URI> urls = new EnumMap<>(UpstreamSource.class);
    for (UpstreamSource s : UpstreamSource.values()) {
      Optional<URI> configured = config.upstreamUrls.get(s);
      if (configured.isPresent()) {
        urls.put(s, configured.get());
      } else if (simulator != null) {
        urls.put(s, URI.create(simulator.baseUrl()));
      }
    }
    if (urls.isEmpty()) {
      log.warn("no upstream source configured and no simulator: the map is fed by events only");
    }
    Optional<String> token =
        config.upstreamToken.or(() -> Optional.ofNullable(simulator).map(Simulator::serviceToken));
    UpstreamPoller.Builder builder =
        UpstreamPoller.builder(vertx)
            .urls(urls)
            .token(token)
            .interval(config.pollInterval)
            .defaultPolicy(SourcePolicy.defaults(config.upstreamTimeout))
            .maxReplyBytes(config.upstreamMaxReplyBytes);
    for (UpstreamSource s : UpstreamSource.values()) {
      builder.policy(s, SourcePolicy.of(config, s));
    }
    poller = builder.intake(pipeline.owner).build();
    late.set(poller);
    closer.add(() -> poller.stop().await());
    pipeline.checks.add(HealthChecks.sources(poller));
    poller.start();
    pipeline.topology.pollerStarted(poller, pipeline.snapshotScheduler);
  }
}
