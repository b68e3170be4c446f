-- Indexes chosen by the queries Living Map really runs. Every index is paid on the hot write
-- path (CONTRACT §6: the original's six b-trees plus two unique ones cut COPY from ~200,000 to
-- ~50,000 rows/s), so each one below names the query it serves.
--
--   /history, no filter or since/until     ORDER BY timestamp DESC, seq DESC   -> time_seq
--   retention (timestamp < cutoff), stats  range on timestamp                  -> time_seq
--   /history?entity_id=, entity detail     entity_id = ? ORDER BY timestamp    -> entity_time
--   before_seq/after_seq cursors, replay,  epoch = ? AND seq > ? ORDER BY seq  -> epoch_seq
--   resume, lastPosition, and idempotent retries of a sequenced batch
--   redelivery dedupe                      ON CONFLICT on msg_id               -> msg_id
--
-- Not indexed on purpose: event_type, entity_type and source_service. They are low-cardinality
-- filters that mostly match dense streams (node.metrics.*, usage.*), for which walking time_seq
-- backwards and filtering finds a page quickly; wildcard patterns could not use a b-tree on
-- event_type anyway. /history bounds every statement with a timeout, and total is counted with a
-- cap (see HistoryStore).

CREATE INDEX IF NOT EXISTS living_map_history_time_seq
    ON living_map_history (timestamp, seq);

CREATE INDEX IF NOT EXISTS living_map_history_entity_time
    ON living_map_history (entity_id, timestamp, seq)
    WHERE entity_id IS NOT NULL;

CREATE UNIQUE INDEX IF NOT EXISTS living_map_history_epoch_seq
    ON living_map_history (epoch, seq);

CREATE UNIQUE INDEX IF NOT EXISTS living_map_history_msg_id
    ON living_map_history (msg_id)
    WHERE msg_id IS NOT NULL;

-- The original's six indexes are superseded by the ones above (timestamp DESC and
-- (event_type, timestamp DESC) by time_seq, entity_id by entity_time; event_type, entity_type and
-- source_service by none, see above). Dropping them makes a taken-over database as cheap to
-- write as a new one. Indexes are not part of the contract.
DROP INDEX IF EXISTS idx_living_map_history_timestamp;
DROP INDEX IF EXISTS idx_living_map_history_event_type;
DROP INDEX IF EXISTS idx_living_map_history_entity_id;
DROP INDEX IF EXISTS idx_living_map_history_entity_type;
DROP INDEX IF EXISTS idx_living_map_history_source_service;
DROP INDEX IF EXISTS idx_living_map_history_type_timestamp;

-- Snapshots: few rows; latest(), latestAtOrBefore(at) and "keep the newest N" read by time.
CREATE INDEX IF NOT EXISTS idx_living_map_snapshots_generated_at
    ON living_map_snapshots (generated_at DESC);

-- Rejected events: listing newest first uses the primary key; retention prunes by time.
CREATE INDEX IF NOT EXISTS living_map_rejected_events_received_at
    ON living_map_rejected_events (received_at);

CREATE UNIQUE INDEX IF NOT EXISTS living_map_rejected_events_msg_id
    ON living_map_rejected_events (msg_id)
    WHERE msg_id IS NOT NULL;
