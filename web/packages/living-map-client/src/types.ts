/** Snapshot and stream types of the Living Map service (CONTRACT §2 and §3, plus extensions). */

export type LayerName = 'city' | 'space' | 'nodes' | 'agents';
export const LAYERS: readonly LayerName[] = ['city', 'space', 'nodes', 'agents'];

export interface MicroDao {
  id: string;
  slug?: string;
  name: string;
  status: 'active' | 'inactive' | 'warning' | string;
  agents: number;
  nodes: number;
  members: number;
  description?: string | null;
  [extra: string]: unknown;
}

export interface CityLayer {
  microdaos_total: number;
  active_users: number;
  active_agents: number;
  health: 'green' | 'yellow' | 'red' | string;
  items: MicroDao[];
  [extra: string]: unknown;
}

export interface Planet {
  id: string;
  name: string;
  type: 'dao' | 'platform' | 'other' | string;
  status: string;
  orbits: string[];
  treasury_value: number;
  active_proposals: number;
  [extra: string]: unknown;
}

export interface SpaceNode {
  id: string;
  name: string;
  status: 'online' | 'offline' | 'warning' | string;
  cpu: number;
  gpu: number;
  memory: number;
  alerts: AlertMark[] | unknown[];
  [extra: string]: unknown;
}

export interface SpaceLayer {
  planets: Planet[];
  nodes: SpaceNode[];
  [extra: string]: unknown;
}

export interface NodeMetrics {
  cpu: number;
  gpu: number;
  ram: number;
  disk?: number;
  net_in?: number;
  net_out?: number;
  temperature?: number;
  [extra: string]: unknown;
}

export interface NodeItem {
  id: string;
  name: string;
  microdao_id?: string | null;
  status: 'online' | 'offline' | 'warning' | string;
  metrics: NodeMetrics;
  alerts: AlertMark[] | unknown[];
  uptime_seconds?: number;
  last_seen?: string | null;
  [extra: string]: unknown;
}

export interface NodesLayer {
  items: NodeItem[];
  total_cpu: number;
  total_gpu: number;
  total_ram: number;
  [extra: string]: unknown;
}

export interface AgentUsage {
  llm_calls_24h: number;
  tokens_24h: number;
  messages_24h: number;
  avg_response_time_ms: number;
  [extra: string]: unknown;
}

export interface AgentItem {
  id: string;
  name: string;
  kind?: string;
  microdao_id?: string | null;
  status: 'online' | 'offline' | 'idle' | 'busy' | string;
  usage: AgentUsage;
  model?: string | null;
  last_active?: string | null;
  [extra: string]: unknown;
}

export interface AgentsLayer {
  items: AgentItem[];
  total_agents: number;
  online_agents: number;
  total_llm_calls_24h: number;
  [extra: string]: unknown;
}

/**
 * `meta` of a snapshot. `source_services`, `generated_at` and `version` are required, as in the
 * original service's `LivingMapSnapshot`; the client fills them in when a server variant leaves
 * them out (the public view has no `source_services`).
 */
export interface SnapshotMeta {
  source_services: string[];
  /** Equal to the snapshot's top-level `generated_at` (it moves with applied events too). */
  generated_at: string;
  version: string;
  seq?: number;
  epoch?: string;
  /**
   * Set by the client, never by the server: `true` once the snapshot is kept current by the live
   * stream (it came from the stream, or stream events have been applied to it), so
   * `generated_at` is the time of the newest applied event; `false` for a snapshot fetched over
   * HTTP that no event has moved yet. Whether the stream is open right now is the connection
   * status's business, not this flag's.
   */
  live?: boolean;
  /**
   * Set by the client on the first part of a snapshot that came in two parts (the web UI's
   * stream worker sends them at 100x): the layers still on their way, empty until the second part
   * joins them. Absent on a whole snapshot.
   */
  partial?: string[];
  /** Set by the client when events moved `generated_at`: the time the server cut the snapshot. */
  server_generated_at?: string;
  [extra: string]: unknown;
}

export interface Snapshot {
  generated_at: string;
  seq?: number;
  epoch?: string;
  layers: {
    city: CityLayer;
    space: SpaceLayer;
    nodes: NodesLayer;
    agents: AgentsLayer;
  };
  meta: SnapshotMeta;
  [extra: string]: unknown;
}

/** One event as the stream delivers it (a `kind:"event"` frame without `kind`) or as history lists it. */
export interface LivingMapEvent {
  event_type: string;
  timestamp: string;
  payload: Record<string, unknown>;
  seq?: number;
  /** Cluster mode: the seq of the event before this one in the stream (seqs have holes). */
  prev_seq?: number;
  epoch?: string;
  entity_id?: string | null;
  entity_type?: string | null;
  source_service?: string;
  id?: string;
  [extra: string]: unknown;
}

export interface SnapshotFrame {
  kind: 'snapshot';
  data: Snapshot;
  seq?: number;
  epoch?: string;
  reason?: string;
}
export interface EventFrame extends LivingMapEvent {
  kind: 'event';
}
export interface PingFrame {
  kind: 'ping';
  timestamp?: string;
  [extra: string]: unknown;
}
export interface ErrorFrame {
  kind: 'error';
  error: string;
  code?: number | string;
  timestamp?: string;
  [extra: string]: unknown;
}
export type StreamFrame = SnapshotFrame | EventFrame | PingFrame | ErrorFrame | { kind: string; [k: string]: unknown };

/** Per-connection stream filters (issue 4); sent as comma-separated query parameters. */
export interface StreamFilters {
  layers?: LayerName[] | string[];
  types?: string[];
  entities?: string[];
  /** NATS-style subject patterns, e.g. `node.metrics.>` */
  events?: string[];
}

/** Detail of one entity, `GET /living-map/entities/{id}`. */
export interface EntityDetail {
  id: string;
  type: string;
  layer: string;
  data: Record<string, unknown>;
  relations?: unknown;
  recent_events?: LivingMapEvent[];
  upstream?: unknown;
  [extra: string]: unknown;
}

export interface StoredSnapshotInfo {
  id: string;
  generated_at: string;
  seq?: number;
  epoch?: string;
  size_bytes?: number;
}

export interface HistoryBucket {
  /** start of the bucket, ISO */
  start: string;
  count: number;
}

/**
 * The client's detailed stream status. (The React hook's `connectionStatus` is the original
 * service's four-valued one, `'connecting' | 'open' | 'closed' | 'error'`; this one is its
 * `streamStatus`.)
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'error';

/** Why the client last re-synchronised its snapshot, and when (`LivingMapState.lastResync`). */
export interface ResyncInfo {
  /**
   * `gap`: the client saw a seq gap or an epoch change and resumed or reconnected;
   * `server`: the server answered a resume with a fresh snapshot (`reason: "resync"`), e.g.
   * after a restart or when the missed events were no longer in its ring.
   */
  kind: 'gap' | 'server';
  /** Human-readable detail, e.g. `expected seq 12, got 14`. */
  reason: string;
  /** When it happened (ISO). */
  at: string;
}

export type AlertSeverity = 'critical' | 'warning' | 'info';

/** A firing alert as an entity's `alerts` list shows it (docs/ALERTS.md, "On the map"). */
export interface AlertMark {
  id: string;
  rule: string;
  severity: AlertSeverity | string;
  message?: string;
  since?: string;
  labels?: Record<string, string>;
  state?: string;
  acked?: boolean;
  acked_by?: string | null;
  acked_at?: string | null;
  [extra: string]: unknown;
}

/** An alert as `GET /living-map/alerts` lists it and `living_map.alert.*` events carry it. */
export interface Alert extends AlertMark {
  state: 'pending' | 'firing' | 'resolved' | string;
  entity_id?: string | null;
  entity_type?: string | null;
  key?: string;
  value?: unknown;
  active_at?: string;
  starts_at?: string | null;
  ends_at?: string | null;
  source?: string;
  silenced?: boolean;
  silenced_by?: string[];
  ack_comment?: string | null;
}

export interface AlertList {
  items: Alert[];
  total?: number;
  has_more?: boolean;
  counts?: Record<string, number>;
}

/** The original service's name for the snapshot type (its React hook exported it under this name). */
export type LivingMapSnapshot = Snapshot;
