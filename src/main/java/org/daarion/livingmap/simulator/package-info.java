/**
 * The built-in simulator of the DAARION network: the network in miniature, its upstream HTTP
 * services and its NATS events, for the embedded demo, load tests and resilience tests.
 *
 * <p>Door: {@link org.daarion.livingmap.simulator.Simulator} ({@code create(config, vertx, bus)},
 * {@code start()}, {@code stop()}, {@code runStandalone(config, bus)}). Behind it:
 *
 * <ul>
 *   <li>{@link org.daarion.livingmap.simulator.SimulatedNetwork}: the model, deterministic per
 *       seed, one lock, mutators to add and remove entities at run time;
 *   <li>{@link org.daarion.livingmap.simulator.SimulatorEventSource}: {@code tick(n)} makes n
 *       events (CONTRACT section 5 shapes) and publishes them; {@code start(rate)} paces ticks on
 *       one daemon thread;
 *   <li>{@link org.daarion.livingmap.simulator.SimulatorHttpServer}: the six upstream services'
 *       paths (CONTRACT section 4 shapes) on one port, each obeying its {@link
 *       org.daarion.livingmap.simulator.Fault} in {@link
 *       org.daarion.livingmap.simulator.FaultModes}.
 * </ul>
 *
 * <p>Threads: the model is changed by the event thread and read by Vert.x event loops, each under
 * the model's lock for microseconds; nothing here blocks an event loop, and publishing (which may
 * block on backpressure) happens only on the event thread or a test's own thread.
 */
package org.daarion.livingmap.simulator;
