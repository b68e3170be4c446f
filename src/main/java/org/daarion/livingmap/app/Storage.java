package org.daarion.livingmap.app;

import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.time.Clock;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.history.Database;
import org.daarion.livingmap.history.HistoryStore;
import org.daarion.livingmap.history.HistoryWriter;
import org.daarion.livingmap.history.RecentHistory;
import org.daarion.livingmap.history.RetentionJob;
import org.daarion.livingmap.history.SnapshotStore;
import org.daarion.livingmap.history.StateReplayer;
import org.daarion.livingmap.history.TimeTravel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage part: the database (started and migrated), history (read and written), stored
 * snapshots, time travel, retention, and on one instance the recent history kept in memory. Built
 * on a worker thread: it blocks on the database.
 */
final class Storage {
  private static final Logger log = LoggerFactory.getLogger(Storage.class);

  final Database db;
  final HistoryStore history;
  final SnapshotStore snapshotStore;
  final TimeTravel timeTravel;
  final RetentionJob retention;
  final HistoryWriter writer;

  /** Null in cluster mode, or when no memory is given to it. */
  final RecentHistory recent;

  Storage(
      Config config,
      Vertx vertx,
      Clock clock,
      Closer closer,
      Database db,
      Topology topology,
      StateReplayer replayer) {
    this.db = db;
    log.info("history in {}", db.description());
    history = new HistoryStore(db, config.responseBytes, config.maxEventBytes);
    snapshotStore =
        topology.clustered() ? SnapshotStore.keepingKeyOrder(db) : new SnapshotStore(db);
    timeTravel = new TimeTravel(db, snapshotStore, history, replayer);
    retention = closer.add(new RetentionJob(db, config, topology.sharedJobs()));
    writer = closer.add(new HistoryWriter(db, config));
    // Cluster mode: every replica writes the same events and PostgreSQL keeps whichever row came
    // first, with that replica's id, so no replica's memory can say what a page holds.
    recent =
        !topology.clustered() && config.historyMemoryBytes > 0
            ? recentHistory(config, vertx, clock, closer)
            : null;
  }

  private RecentHistory recentHistory(Config config, Vertx vertx, Clock clock, Closer closer) {
    RecentHistory recent =
        new RecentHistory(config.historyMemoryBytes, config.retention, clock, config.maxEventBytes);
    writer.feed(recent);
    recent.start(db.dataSource(), true);
    // Workers of their own: the shared worker pool also runs slow blocking work (the simulator's
    // upstream pages at 100x held all 20 of its threads), and a page from memory must not queue
    // behind it.
    WorkerExecutor pages =
        vertx.createSharedWorkerExecutor(
            "living-map-history-memory", Math.max(2, Runtime.getRuntime().availableProcessors()));
    closer.add(pages::close);
    history.answerRecentFrom(
        recent,
        task ->
            pages.executeBlocking(
                () -> {
                  task.run();
                  return null;
                },
                false));
    return recent;
  }
}
