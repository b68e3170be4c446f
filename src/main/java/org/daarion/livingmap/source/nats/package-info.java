/**
 * NATS as an event source ({@link org.daarion.livingmap.source.nats.NatsIngest}) and as a bus to
 * publish on ({@link org.daarion.livingmap.source.nats.NatsPublisher}).
 *
 * <p>Threads: each of the two owns one jnats connection, made on a {@code *-connect} thread that
 * retries forever. Core ingest calls the intake on the connection's dispatcher thread; JetStream
 * ingest on its own {@code nats-jetstream-pull-<durable>} thread. Both may be blocked by the
 * sequencer's backpressure: core then fills the dispatcher's pending queue and, past its limits,
 * drops (counted); JetStream simply pulls no more until the intake takes the batch.
 * Acknowledgements come from the history writer's thread. Nothing in here runs on a Vert.x event
 * loop.
 *
 * <p>Delivery: core is at most once (as the original service); JetStream at least once, with msgIds
 * {@code js:<epoch>:<streamSeq>} ({@link JetStreamMsgIds}) so history can drop the duplicates.
 */
package org.daarion.livingmap.source.nats;
