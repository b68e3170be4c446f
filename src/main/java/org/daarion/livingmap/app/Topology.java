package org.daarion.livingmap.app;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.daarion.livingmap.alert.AlertService;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.event.EventParser;
import org.daarion.livingmap.history.HistoryStore;
import org.daarion.livingmap.history.HistoryWriter;
import org.daarion.livingmap.history.SnapshotScheduler;
import org.daarion.livingmap.source.upstream.UpstreamPoller;
import org.daarion.livingmap.state.StateOwner;
import org.daarion.livingmap.stream.MissedEvents;
import org.daarion.livingmap.stream.StreamHub;

/**
 * What differs between one instance ({@link SingleTopology}) and a replica of a cluster ({@link
 * ClusterTopology}): where positions come from, who writes history, where the state is restored
 * from, and which sources feed it. {@link Application} chooses one at start and the parts call it
 * at these points, in this order.
 */
interface Topology {
  /** Where the state starts numbering (before the restore). */
  record Position(String epoch, long seq) {}

  /** True for a replica: the stream numbers events and replicas must serve the same bytes. */
  boolean clustered();

  /** Whether this instance runs the shared jobs (retention, stored snapshots) now. */
  BooleanSupplier sharedJobs();

  /** Connects what positions come from and says where the state starts. Blocks. */
  Position start(HistoryStore history);

  /** Wires where the owner's sequenced events and rejections go to be stored. */
  void feedHistory(StateOwner owner, HistoryWriter writer);

  /** Wires how alert decisions and operator actions agree across replicas. */
  void wireAlerts(AlertService alerts);

  /** Where a resume older than the hub's ring is answered from. */
  MissedEvents missedEvents(Storage storage, Executor workers);

  /**
   * Loads the state at start-up; returns the status {@code /health} shows. {@code storedRead} takes
   * the stored snapshot read (for the silences it keeps). Blocks.
   */
  JsonObject restore(
      Storage storage,
      Position at,
      StateOwner owner,
      StreamHub hub,
      AlertService alerts,
      Consumer<JsonObject> storedRead);

  /** Once the scheduler stores snapshots: what else should store one. */
  void snapshotsStored(AlertService alerts, SnapshotScheduler scheduler);

  /** The intake the sources feed (parsed events to the owner, rejections to history). */
  EventIntake liveIntake(EventParser parser, StateOwner owner, HistoryWriter writer);

  /** Where {@code POST /living-map/events} goes. */
  EventIntake postedEvents(EventParser parser, EventIntake live);

  /** Starts the NATS side (the stream and/or the ingest) once the pipeline is built. Blocks. */
  void startIngest(Pipeline pipeline, Closer closer);

  /** After the poller started: a baseline snapshot where this instance stores its own. */
  void pollerStarted(UpstreamPoller poller, SnapshotScheduler scheduler);
}
