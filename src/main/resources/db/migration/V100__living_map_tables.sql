-- Living Map tables. Idempotent on purpose: a database that already holds the original
-- living-map-service's migration 010 (same tables, no Flyway history) is taken over as is,
-- keeping its rows. Flyway baselines such a database at version 99, then runs this file.

CREATE TABLE IF NOT EXISTS living_map_history (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    timestamp      timestamptz NOT NULL DEFAULT now(),
    event_type     text        NOT NULL,
    payload        jsonb       NOT NULL,
    source_service text,
    entity_id      text,
    entity_type    text,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Columns the pipeline needs. NULL on rows the original wrote.
ALTER TABLE living_map_history ADD COLUMN IF NOT EXISTS seq bigint;     -- position within epoch
ALTER TABLE living_map_history ADD COLUMN IF NOT EXISTS epoch text;     -- run of seq numbers
ALTER TABLE living_map_history ADD COLUMN IF NOT EXISTS msg_id text;    -- source message id

CREATE TABLE IF NOT EXISTS living_map_snapshots (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    generated_at  timestamptz NOT NULL DEFAULT now(),
    snapshot_data jsonb       NOT NULL,
    version       text        NOT NULL DEFAULT '1.0',
    compressed    boolean     DEFAULT false,
    size_bytes    integer,
    created_at    timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE living_map_snapshots ADD COLUMN IF NOT EXISTS seq bigint;
ALTER TABLE living_map_snapshots ADD COLUMN IF NOT EXISTS epoch text;

-- Events that failed validation, kept with their raw bytes (bounded by the writer) and reason.
CREATE TABLE IF NOT EXISTS living_map_rejected_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    subject     text,
    reason      text        NOT NULL,
    raw         bytea,
    size_bytes  integer     NOT NULL DEFAULT 0,
    msg_id      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The original's retention function, same name, signature and behaviour (30 days of history,
-- the newest 100 snapshots). RetentionJob does the same work in bounded batches; this stays for
-- operators and scripts that call it.
CREATE OR REPLACE FUNCTION cleanup_living_map_history()
RETURNS integer AS $$
DECLARE
    deleted_count integer;
BEGIN
    DELETE FROM living_map_history
     WHERE timestamp < now() - interval '30 days';
    GET DIAGNOSTICS deleted_count = ROW_COUNT;

    DELETE FROM living_map_snapshots
     WHERE id NOT IN (SELECT id FROM living_map_snapshots ORDER BY generated_at DESC LIMIT 100);

    RETURN deleted_count;
END;
$$ LANGUAGE plpgsql;
