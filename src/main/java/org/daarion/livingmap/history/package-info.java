/**
 * Durable history in PostgreSQL: the database, the batched idempotent writer, queries for the API,
 * retention, stored snapshots and time travel.
 *
 * <p><b>Wiring</b> (in the composition root, in this order):
 *
 * <pre>{@code
 * Database db = Database.start(config);              // blocking: embedded or DATABASE_URL, migrates
 * HistoryStore history = new HistoryStore(db);
 * SnapshotStore snapshots = new SnapshotStore(db);
 * TimeTravel timeTravel = new TimeTravel(db, snapshots, history, replayer);   // StateReplayer
 * timeTravel.restoreOnStart()  -> load (snapshot, events) into the state
 * history.lastPosition()       -> the sequencer continues after (epoch, seq)
 * HistoryWriter writer = new HistoryWriter(db, config);  // EventSink + RejectedSink
 * RetentionJob retention = new RetentionJob(db, config); retention.start();
 * SnapshotScheduler scheduler =
 *     new SnapshotScheduler(snapshots, source, config, () -> true, () -> owner.state().seq());
 * scheduler.start();
 * }</pre>
 *
 * <p>Shutdown, after the sources stop: {@code scheduler.close()} (stores a final snapshot), {@code
 * writer.close()} (flushes and acks), {@code retention.close()}, {@code db.close()}.
 *
 * <p><b>Threads.</b> The writer has one thread of its own; the retention job and the snapshot
 * scheduler one each; queries run on {@link org.daarion.livingmap.history.Database#executor()}.
 * Nothing here runs on, or blocks, a Vert.x event loop, except that {@code HistoryWriter.onEvents}
 * blocks its caller while the writer's queue is full (backpressure, documented there).
 */
package org.daarion.livingmap.history;
