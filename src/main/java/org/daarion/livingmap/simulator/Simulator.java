package org.daarion.livingmap.simulator;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.source.bus.BusPublisher;

/**
 * The built-in simulator of the DAARION network: a {@link SimulatedNetwork}, the upstream HTTP
 * services that report it ({@link SimulatorHttpServer}, with {@link FaultModes}) and the events
 * that make it live ({@link SimulatorEventSource}, publishing through a {@link BusPublisher}).
 *
 * <p>Wiring, embedded: {@code Simulator sim = Simulator.create(config, vertx, inProcessBus);
 * sim.start().onSuccess(port -> point every adapter at http://127.0.0.1:port)}. Standalone ({@code
 * living-map simulate}): {@code Simulator.runStandalone(config, natsPublisher)}.
 *
 * <p>Lifecycle: {@link #start()} once, then {@link #stop()}. Events start flowing only after the
 * HTTP server listens, so a consumer can reconcile with the upstreams from the first event on.
 */
public final class Simulator {
  private final Config config;
  private final Vertx vertx;
  private final boolean ownsVertx;
  private final SimulatedNetwork network;
  private final FaultModes faults = new FaultModes();
  private final SimulatorHttpServer http;
  private final SimulatorEventSource events;

  private Simulator(Config config, Vertx vertx, boolean ownsVertx, BusPublisher bus, Clock clock) {
    this.config = Objects.requireNonNull(config);
    this.vertx = Objects.requireNonNull(vertx);
    this.ownsVertx = ownsVertx;
    this.network = SimulatedNetwork.generate(config, clock);
    this.http =
        new SimulatorHttpServer(
            vertx, network, faults, config.upstreamToken, config.host, config.simPort);
    this.events = new SimulatorEventSource(network, Objects.requireNonNull(bus));
  }

  /** A simulator sized and seeded by {@code config}, serving on {@code config.simPort}. */
  public static Simulator create(Config config, Vertx vertx, BusPublisher bus) {
    return new Simulator(config, vertx, false, bus, Clock.systemUTC());
  }

  /** As {@link #create(Config, Vertx, BusPublisher)} with a clock for the events' timestamps. */
  public static Simulator create(Config config, Vertx vertx, BusPublisher bus, Clock clock) {
    return new Simulator(config, vertx, false, bus, clock);
  }

  /**
   * Runs the simulator on its own Vert.x instance (closed by {@link #stop()}): starts the HTTP
   * server and the events at {@code config.simRate}, and returns once the server listens. Blocks
   * the caller up to 30 s; throws if the server cannot start.
   */
  public static Simulator runStandalone(Config config, BusPublisher bus) {
    Vertx vertx = Vertx.vertx();
    Simulator sim = new Simulator(config, vertx, true, bus, Clock.systemUTC());
    try {
      sim.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return sim;
    } catch (Exception e) {
      vertx.close();
      throw new IllegalStateException("simulator failed to start: " + e.getMessage(), e);
    }
  }

  /**
   * Starts the HTTP server, then the events at {@code config.simRate} per second; completes with
   * the HTTP port.
   */
  public Future<Integer> start() {
    return http.start()
        .map(
            port -> {
              events.start(config.simRate);
              return port;
            });
  }

  /** Stops events (waiting for the publishing thread off the event loop), then the server. */
  public Future<Void> stop() {
    Future<Void> stopped =
        vertx
            .executeBlocking(
                () -> {
                  events.stop();
                  return (Void) null;
                })
            .compose(v -> http.stop());
    if (!ownsVertx) {
      return stopped;
    }
    // Close our own Vert.x from a plain thread: a future bound to one of its contexts could not
    // complete once that context is gone.
    CompletableFuture<Void> closed = new CompletableFuture<>();
    stopped.onComplete(
        ar -> {
          Thread t =
              new Thread(
                  () -> {
                    try {
                      vertx
                          .close()
                          .toCompletionStage()
                          .toCompletableFuture()
                          .get(30, TimeUnit.SECONDS);
                      closed.complete(null);
                    } catch (Exception e) {
                      closed.completeExceptionally(e);
                    }
                  },
                  "living-map-simulator-close");
          t.setDaemon(true);
          t.start();
        });
    return Future.fromCompletionStage(closed);
  }

  /** The HTTP port, or -1 before {@link #start()} completed. */
  public int httpPort() {
    return http.port();
  }

  /** {@code http://127.0.0.1:<port>}: the base URL for every upstream adapter. */
  public String baseUrl() {
    return "http://127.0.0.1:" + httpPort();
  }

  /**
   * The Bearer token adapters should send to the simulated microdao-service and dao-service: the
   * configured {@code LIVING_MAP_UPSTREAM_TOKEN}, or {@code "simulator"} when none is set (then any
   * non-empty token is accepted, but one must be sent).
   */
  public String serviceToken() {
    return config.upstreamToken.orElse("simulator");
  }

  public SimulatedNetwork network() {
    return network;
  }

  public FaultModes faults() {
    return faults;
  }

  public SimulatorEventSource events() {
    return events;
  }
}
