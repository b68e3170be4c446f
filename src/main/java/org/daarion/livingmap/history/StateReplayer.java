package org.daarion.livingmap.history;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.daarion.livingmap.event.Event;

/**
 * Rebuilds a past state: applies events, in seq order, to a stored snapshot with the same reducers
 * as the live state, and returns the resulting snapshot JSON (the {@code GET /living-map/snapshot}
 * shape, {@code generated_at} set to {@code at}). Implemented by the state package.
 *
 * <p>Called on a history worker thread, never on an event loop; must not touch the live state (it
 * works on the copy it is given) and must be safe to call concurrently.
 */
@FunctionalInterface
public interface StateReplayer {
  /**
   * @param eventsInOrder read as they are applied (one pass): a long replay never holds its events
   */
  JsonObject replay(JsonObject snapshot, Iterable<Event> eventsInOrder, Instant at);
}
