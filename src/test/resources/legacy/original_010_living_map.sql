-- Test fixture: the state a DAARION database is in after the original living-map-service's
-- migration 010 ran and the service wrote to it, reconstructed from CONTRACT.md §6.
-- No Flyway history table: the original applied its SQL files by hand.

CREATE TABLE IF NOT EXISTS living_map_history (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    timestamp TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    event_type TEXT NOT NULL,
    payload JSONB NOT NULL,
    source_service TEXT,
    entity_id TEXT,
    entity_type TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_living_map_history_timestamp ON living_map_history (timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_living_map_history_event_type ON living_map_history (event_type);
CREATE INDEX IF NOT EXISTS idx_living_map_history_entity_id ON living_map_history (entity_id);
CREATE INDEX IF NOT EXISTS idx_living_map_history_entity_type ON living_map_history (entity_type);
CREATE INDEX IF NOT EXISTS idx_living_map_history_source_service ON living_map_history (source_service);
CREATE INDEX IF NOT EXISTS idx_living_map_history_type_timestamp ON living_map_history (event_type, timestamp DESC);

CREATE TABLE IF NOT EXISTS living_map_snapshots (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    generated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    snapshot_data JSONB NOT NULL,
    version TEXT NOT NULL DEFAULT '1.0',
    compressed BOOLEAN DEFAULT FALSE,
    size_bytes INTEGER,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_living_map_snapshots_generated_at ON living_map_snapshots (generated_at DESC);

CREATE OR REPLACE FUNCTION cleanup_living_map_history()
RETURNS INTEGER AS $$
DECLARE
    n INTEGER;
BEGIN
    DELETE FROM living_map_history WHERE timestamp < NOW() - INTERVAL '30 days';
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM living_map_snapshots
     WHERE id NOT IN (SELECT id FROM living_map_snapshots ORDER BY generated_at DESC LIMIT 100);
    RETURN n;
END;
$$ LANGUAGE plpgsql;

-- The original's seed row: an ordinary object payload.
INSERT INTO living_map_history (id, timestamp, event_type, payload, source_service, entity_type)
VALUES ('00000000-0000-4000-8000-000000000010', '2025-01-01T00:00:00Z', 'living_map.initialized',
        '{"message": "Living Map service initialized", "version": "1.0"}'::jsonb,
        'living-map-service', 'system');

-- What the original's writer really stored: json.dumps(payload) bound as a JSONB *string*.
INSERT INTO living_map_history (id, timestamp, event_type, payload, source_service, entity_id, entity_type)
VALUES ('00000000-0000-4000-8000-000000000011', '2025-01-01T00:01:00Z', 'node.metrics.node-1',
        '"{\"node_id\": \"node-1\", \"cpu\": 0.5}"'::jsonb,
        'node-registry', 'node:node-1', 'node');

-- A JSONB string that is not JSON text.
INSERT INTO living_map_history (id, timestamp, event_type, payload, source_service, entity_id, entity_type)
VALUES ('00000000-0000-4000-8000-000000000012', '2025-01-01T00:02:00Z', 'city.event.note',
        '"just text"'::jsonb, 'city-service', NULL, 'city');

INSERT INTO living_map_snapshots (generated_at, snapshot_data, version)
VALUES ('2025-01-01T00:00:30Z', '{"layers": {}}'::jsonb, '1.0');
