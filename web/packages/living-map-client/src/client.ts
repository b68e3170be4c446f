/**
 * LivingMapClient: snapshot over HTTP, live stream over WebSocket, events applied to the
 * snapshot immutably, reconnect with exponential backoff and resume from the last `seq`.
 *
 * Positions. The server stamps every snapshot and event with `seq` (gap-free within an
 * `epoch`). The client remembers the last position it applied. On reconnect it asks for
 * `?since_seq=<seq>&epoch=<epoch>`; the server then either replays the missed events (no
 * snapshot) or sends `{"kind":"snapshot","reason":"resync"}`. An event whose seq is not
 * the next one (a gap), or whose epoch differs, makes the client resume again at once; if
 * the gap persists it drops the position and takes a fresh snapshot. Duplicates (seq at or
 * below the last applied) are ignored. With filters the server's seq is global and jumps
 * legitimately, so gap detection is off unless `detectGapsWithFilters` is set.
 */
import { applyEvents, snapshotPosition } from './apply.js';
import type {
  Alert,
  AlertList,
  ConnectionStatus,
  EntityDetail,
  HistoryBucket,
  LivingMapEvent,
  ResyncInfo,
  Snapshot,
  SnapshotMeta,
  StoredSnapshotInfo,
  StreamFilters,
  StreamFrame,
} from './types.js';

/** The part of the WebSocket API the client uses (the browser's, `ws`, or a fake in tests). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

export interface LivingMapClientOptions {
  /** Base URL of the service, e.g. `https://map.daarion.city` or `/api` (default: the page's origin). The API lives under `${baseUrl}${apiPrefix}`. */
  baseUrl?: string;
  /** Path prefix of the API (default `/living-map`). */
  apiPrefix?: string;
  /** Full stream URL, for gateways that route it elsewhere (e.g. `wss://host/ws/living-map/`). */
  streamUrl?: string;
  filters?: StreamFilters;
  /**
   * Ask for batched framing (`batch=1`): a message may carry several frames, one JSON object per
   * line; each line is handled as a message of its own. Fewer messages at high event rates.
   */
  batch?: boolean;
  /** How many recent events to keep in `state.events` (default 200). */
  maxEvents?: number;
  /** Backoff: first delay, cap, factor (defaults 500 ms, 15 s, 2) with ±20 % jitter. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number; factor?: number; jitter?: number };
  /** Reconnect when no frame (not even a ping) arrived for this long (default 60 s; 0 = off). */
  idleTimeoutMs?: number;
  /** Events are applied in batches every `batchMs` (default 16 ms; 0 = next tick). */
  batchMs?: number;
  detectGapsWithFilters?: boolean;
  fetch?: typeof fetch;
  webSocketFactory?: WebSocketFactory;
  /** Extra headers for HTTP requests (e.g. Authorization). */
  headers?: Record<string, string>;
}

export interface LivingMapState {
  snapshot: Snapshot | null;
  connectionStatus: ConnectionStatus;
  /**
   * The most recent problem (a failed connection, an error frame, a gap, a silent stream), even
   * while the snapshot is still shown; cleared when the stream opens or a snapshot is adopted.
   * The React hook's `error` is narrower: a string, and only when no snapshot can be shown.
   */
  error: Error | null;
  /** Why and when the client last re-synchronised (a gap it saw, or the server's resync snapshot). */
  lastResync: ResyncInfo | null;
  /** Recent events, newest first. */
  events: LivingMapEvent[];
  seq?: number;
  epoch?: string;
  /** Reconnect attempts since the last successful frame. */
  attempt: number;
  /** Counters useful for a status display and for tests. */
  stats: { framesReceived: number; eventsApplied: number; resyncs: number; gaps: number; duplicates: number; reconnects: number };
}

type Listener = (state: LivingMapState) => void;
type EventListener = (events: LivingMapEvent[], state: LivingMapState) => void;

function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/**
 * The snapshot with the `meta` fields the original contract requires (`source_services`,
 * `generated_at`, `version`) present, and `meta.live` set: a server variant may leave some out
 * (the public view has no `source_services`), and a page written to the original reads them.
 */
function normalizeSnapshot(s: Snapshot, live: boolean): Snapshot {
  const m = (s.meta ?? {}) as Partial<SnapshotMeta>;
  const generatedAt =
    typeof s.generated_at === 'string' ? s.generated_at : typeof m.generated_at === 'string' ? m.generated_at : new Date().toISOString();
  const meta: SnapshotMeta = {
    ...m,
    source_services: Array.isArray(m.source_services) ? m.source_services : [],
    generated_at: typeof m.generated_at === 'string' ? m.generated_at : generatedAt,
    version: typeof m.version === 'string' ? m.version : '',
    live,
  };
  return { ...s, generated_at: generatedAt, meta };
}

const EMPTY_LAYERS: Snapshot['layers'] = {
  city: { items: [], channels: [] } as unknown as Snapshot['layers']['city'],
  space: { planets: [], nodes: [] } as unknown as Snapshot['layers']['space'],
  nodes: { items: [], total_cpu: 0, total_gpu: 0, total_ram: 0 },
  agents: { items: [], total_agents: 0, online_agents: 0, total_llm_calls_24h: 0 },
};

/** A first part with the layers it lacks empty, and named in `meta.partial`. */
function withAllLayers(s: Snapshot): Snapshot {
  const have = (s.layers ?? {}) as Partial<Snapshot['layers']>;
  const missing = (Object.keys(EMPTY_LAYERS) as (keyof Snapshot['layers'])[]).filter((k) => !have[k]);
  return { ...s, layers: { ...EMPTY_LAYERS, ...have }, meta: { ...(s.meta ?? {}), partial: missing } as Snapshot['meta'] };
}

/** The newest parseable `timestamp` in a batch, as given (ISO) and in ms; undefined if none parses. */
function newestTimestamp(batch: readonly LivingMapEvent[]): { iso: string; ms: number } | undefined {
  let best: { iso: string; ms: number } | undefined;
  for (const e of batch) {
    const ms = typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : NaN;
    if (Number.isFinite(ms) && (!best || ms > best.ms)) best = { iso: e.timestamp, ms };
  }
  return best;
}

/**
 * After a batch was applied: `generated_at` (top level and in `meta`) becomes the time of the newest
 * applied event, never moving back (a publisher's clock may lag the server's), the server's own
 * time is kept in `meta.server_generated_at`, and `meta.live` is true.
 */
function stampLive(s: Snapshot, batch: readonly LivingMapEvent[]): Snapshot {
  const newest = newestTimestamp(batch);
  const current = Date.parse(s.generated_at);
  const meta = s.meta;
  if (newest && !(Number.isFinite(current) && current >= newest.ms)) {
    return {
      ...s,
      generated_at: newest.iso,
      meta: { ...meta, generated_at: newest.iso, live: true, server_generated_at: meta.server_generated_at ?? s.generated_at },
    };
  }
  return meta.live === true ? s : { ...s, meta: { ...meta, live: true } };
}

const perf = (globalThis as { performance?: Performance }).performance;
const now = () => (perf ? perf.now() : 0);
/** A user-timing mark (and a measure from `start` when given); nothing where there is no `performance`. */
function mark(name: string, start?: number): void {
  if (!perf || typeof perf.mark !== 'function') return;
  try {
    if (start !== undefined) perf.measure(name, { start, end: perf.now() });
    else perf.mark(name);
  } catch {
    // an old runtime without the options form: timing is for benchmarks only
  }
}

function defaultOrigin(): string {
  const loc = (globalThis as { location?: Location }).location;
  return loc ? loc.origin : 'http://localhost:7017';
}

export class LivingMapClient {
  readonly options: Required<Pick<LivingMapClientOptions, 'apiPrefix' | 'maxEvents' | 'batchMs' | 'idleTimeoutMs'>> &
    LivingMapClientOptions;
  private state: LivingMapState = {
    snapshot: null,
    connectionStatus: 'idle',
    error: null,
    lastResync: null,
    events: [],
    attempt: 0,
    stats: { framesReceived: 0, eventsApplied: 0, resyncs: 0, gaps: 0, duplicates: 0, reconnects: 0 },
  };
  private listeners = new Set<Listener>();
  private eventListeners = new Set<EventListener>();
  private ws: WebSocketLike | null = null;
  private stopped = true;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFrameAt = 0;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private pending: LivingMapEvent[] = [];
  private lastSeq: number | undefined;
  private epoch: string | undefined;
  private gapStreak = 0;
  /** The server hides layers from this caller (meta.hidden_layers): its seqs skip their events. */
  private serverFiltered = false;
  private forceFresh = false;
  /** A snapshot's first part (a `part: 1` frame), kept until its second part joins it. */
  private firstPart: { data: Snapshot; seq?: number; epoch?: string } | null = null;

  constructor(options: LivingMapClientOptions = {}) {
    this.options = { apiPrefix: '/living-map', maxEvents: 200, batchMs: 16, idleTimeoutMs: 60_000, ...options };
  }

  // ---- URLs ---------------------------------------------------------------------------

  apiUrl(path: string): string {
    const base = this.options.baseUrl ?? defaultOrigin();
    return joinUrl(base, this.options.apiPrefix + path);
  }

  streamUrl(resume?: { since_seq: number; epoch?: string }): string {
    let url = this.options.streamUrl;
    if (!url) {
      const http = this.apiUrl('/stream');
      const abs = /^https?:/i.test(http) ? http : joinUrl(defaultOrigin(), http.startsWith('/') ? http : '/' + http);
      url = abs.replace(/^http/i, 'ws');
    }
    const q = new URLSearchParams();
    const f = this.options.filters ?? {};
    for (const k of ['layers', 'types', 'entities', 'events'] as const) {
      const v = f[k];
      if (v && v.length) q.set(k, v.join(','));
    }
    if (resume) {
      q.set('since_seq', String(resume.since_seq));
      if (resume.epoch) q.set('epoch', resume.epoch);
    }
    if (this.options.batch) q.set('batch', '1');
    const qs = q.toString();
    return qs ? url + (url.includes('?') ? '&' : '?') + qs : url;
  }

  // ---- state --------------------------------------------------------------------------

  getState(): LivingMapState {
    return this.state;
  }

  /** Called with the new state after every change. Returns an unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called with each applied batch of events (oldest first), after the snapshot moved. */
  onEvents(listener: EventListener): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  private set(patch: Partial<LivingMapState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l(this.state);
  }

  private bump(k: keyof LivingMapState['stats'], n = 1): void {
    this.state = { ...this.state, stats: { ...this.state.stats, [k]: this.state.stats[k] + n } };
  }

  // ---- HTTP ---------------------------------------------------------------------------

  private async getJson<T>(path: string): Promise<T> {
    const f = this.options.fetch ?? globalThis.fetch.bind(globalThis);
    const res = await f(this.apiUrl(path), { headers: { Accept: 'application/json', ...(this.options.headers ?? {}) } });
    if (!res.ok) {
      let msg = `${res.status} ${res.statusText}`;
      try {
        const body = (await res.json()) as { error?: string; message?: string };
        msg += `: ${body.error ?? body.message ?? ''}`;
      } catch {
        /* not JSON */
      }
      const err = new Error(`GET ${path} failed: ${msg}`) as Error & { status?: number };
      err.status = res.status;
      throw err;
    }
    return (await res.json()) as T;
  }

  /**
   * `GET /snapshot` (or `?at=ISO` for the past), with the required `meta` fields filled in and
   * `meta.live` false. Does not change the client's state.
   */
  async fetchSnapshot(at?: string | Date): Promise<Snapshot> {
    const q = at ? `?at=${encodeURIComponent(typeof at === 'string' ? at : at.toISOString())}` : '';
    return normalizeSnapshot(await this.getJson<Snapshot>(`/snapshot${q}`), false);
  }

  fetchEntity(id: string): Promise<EntityDetail> {
    return this.getJson<EntityDetail>(`/entities/${encodeURIComponent(id)}`);
  }

  async fetchHistory(params: Record<string, string | number | undefined> = {}): Promise<{ items: LivingMapEvent[]; total?: number; has_more?: boolean }> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
    return this.getJson(`/history${q.toString() ? '?' + q : ''}`);
  }

  async fetchStoredSnapshots(): Promise<StoredSnapshotInfo[]> {
    const r = await this.getJson<{ items?: StoredSnapshotInfo[] } | StoredSnapshotInfo[]>('/snapshots');
    return Array.isArray(r) ? r : r.items ?? [];
  }

  /** `GET /history/stats` normalised to `[{start, count}]`, tolerant of the exact field names. */
  async fetchHistoryStats(since: string, until: string, bucket = '1m'): Promise<HistoryBucket[]> {
    const q = new URLSearchParams({ since, until, bucket });
    const r = await this.getJson<Record<string, unknown> | unknown[]>(`/history/stats?${q}`);
    const arr = (Array.isArray(r) ? r : ((r.buckets ?? r.items ?? r.data ?? r.series ?? []) as unknown[])) as Record<string, unknown>[];
    return arr
      .map((b) => ({
        start: String(b.start ?? b.t ?? b.time ?? b.bucket ?? b.timestamp ?? b.from ?? ''),
        count: Number(b.count ?? b.total ?? b.events ?? b.n ?? 0),
      }))
      .filter((b) => b.start);
  }

  /** `GET /alerts?state=&severity=&entity_id=` (issue 9): current and recent alerts, firing first. */
  async fetchAlerts(params: { state?: string; severity?: string | string[]; entity_id?: string; rule?: string; limit?: number } = {}): Promise<AlertList> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined || v === '') continue;
      q.set(k, Array.isArray(v) ? v.join(',') : String(v));
    }
    const r = await this.getJson<AlertList | Alert[]>(`/alerts${q.toString() ? '?' + q : ''}`);
    return Array.isArray(r) ? { items: r } : { ...r, items: r.items ?? [] };
  }

  /**
   * `POST /alerts/{id}/ack` (admin). Rejects with an Error whose `status` is the HTTP status
   * (401/403 when not allowed, 404 when the alert is unknown).
   */
  async ackAlert(id: string, body: { by?: string; comment?: string } = {}): Promise<Alert> {
    const f = this.options.fetch ?? globalThis.fetch.bind(globalThis);
    const path = `/alerts/${encodeURIComponent(id)}/ack`;
    const res = await f(this.apiUrl(path), {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...(this.options.headers ?? {}) },
      body: JSON.stringify(body),
    });
    let json: Record<string, unknown> | null = null;
    try {
      json = (await res.json()) as Record<string, unknown>;
    } catch {
      /* not JSON */
    }
    if (!res.ok) {
      const why = json ? String(json.detail ?? json.error ?? json.message ?? '') : '';
      const err = new Error(`POST ${path} failed: ${res.status} ${res.statusText}${why ? ': ' + why : ''}`) as Error & { status?: number };
      err.status = res.status;
      throw err;
    }
    return ((json?.alert as Alert | undefined) ?? (json as unknown as Alert)) as Alert;
  }

  /** Fetch the current snapshot over HTTP and adopt it (unless the stream is already further on). */
  async refetch(): Promise<Snapshot> {
    try {
      const s = await this.fetchSnapshot();
      const pos = snapshotPosition(s);
      const newer =
        this.lastSeq === undefined || pos.seq === undefined || pos.epoch !== this.epoch || pos.seq >= this.lastSeq;
      // live when the stream is open: its next events apply to this snapshot
      if (newer) this.adoptSnapshot(s, pos, this.state.connectionStatus === 'connected');
      return s;
    } catch (e) {
      this.set({ error: e as Error });
      throw e;
    }
  }

  // ---- stream -------------------------------------------------------------------------

  /** Connect the stream (the server sends the snapshot first). Idempotent. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** Close the stream and stop reconnecting. The snapshot is kept. */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.flush();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
      try {
        ws.close(1000, 'client stop');
      } catch {
        /* already closed */
      }
    }
    this.set({ connectionStatus: 'disconnected' });
  }

  /** Change filters; reconnects with a fresh snapshot (filtered snapshots differ). */
  setFilters(filters: StreamFilters | undefined): void {
    this.options.filters = filters;
    this.forceFresh = true;
    if (!this.stopped) this.reconnectNow();
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.reconnectTimer = this.idleTimer = this.flushTimer = null;
  }

  private factory(): WebSocketFactory {
    if (this.options.webSocketFactory) return this.options.webSocketFactory;
    const WS = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
    if (!WS) throw new Error('No WebSocket implementation: pass webSocketFactory');
    return (url) => new WS(url);
  }

  private connect(): void {
    if (this.stopped) return;
    const resume =
      !this.forceFresh && this.lastSeq !== undefined && this.state.snapshot
        ? { since_seq: this.lastSeq, epoch: this.epoch }
        : undefined;
    this.forceFresh = false;
    const url = this.streamUrl(resume);
    this.set({ connectionStatus: this.state.attempt > 0 || this.state.snapshot ? 'reconnecting' : 'connecting' });
    let ws: WebSocketLike;
    try {
      mark('living-map:stream-connect');
      ws = this.factory()(url);
    } catch (e) {
      this.set({ error: e as Error });
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    let opened = false;
    let errored = false;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      opened = true;
      mark('living-map:stream-open');
      this.set({ connectionStatus: 'connected', error: null });
      this.armIdle();
    };
    ws.onmessage = (m) => {
      if (this.ws !== ws) return;
      if (this.options.batch && typeof m.data === 'string' && m.data.includes('\n')) {
        for (const line of m.data.split('\n')) {
          // A line may have made the client drop this socket (a gap): ignore the rest.
          if (this.ws !== ws) return;
          if (line) this.onFrame(line);
        }
        return;
      }
      this.onFrame(m.data);
    };
    ws.onerror = () => {
      if (this.ws !== ws) return;
      errored = true;
      // the browser gives no detail; the URL is what a reader needs to tell a wrong origin
      this.set({ error: new Error(`WebSocket error on ${url.split('?')[0]}`) });
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.flush();
      if (ev && ev.code && ev.code !== 1000 && ev.code !== 1001 && ev.reason) {
        this.set({ error: new Error(`stream closed ${ev.code}: ${ev.reason}`) });
      } else if (!opened && !errored) {
        // not every WebSocket fires `error` before `close` on a refused connection
        this.set({ error: new Error(`WebSocket error on ${url.split('?')[0]} (closed before opening, code ${ev?.code ?? '?'})`) });
      }
      this.scheduleReconnect();
    };
  }

  /**
   * Notes that the stream said something. One timer checks for silence and re-arms itself for the
   * time left, instead of a timer cleared and set per frame: at 100x DAARION that was 4,000-12,000
   * timer calls a second on the page's main thread (profiled: about a twentieth of it).
   */
  private armIdle(): void {
    this.lastFrameAt = Date.now();
    const ms = this.options.idleTimeoutMs;
    if (!ms || this.idleTimer) return;
    const check = () => {
      const quiet = Date.now() - this.lastFrameAt;
      if (quiet < ms) {
        this.idleTimer = setTimeout(check, ms - quiet);
        return;
      }
      this.idleTimer = null;
      this.set({ error: new Error(`no frame for ${ms} ms`) });
      this.reconnectNow();
    };
    this.idleTimer = setTimeout(check, ms);
  }

  /** Drop the current socket and connect again at once (resuming when possible). */
  private reconnectNow(): void {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
      try {
        ws.close(4000, 'client reconnect');
      } catch {
        /* ignore */
      }
    }
    this.flush();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.bump('reconnects');
    this.connect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const r = this.options.reconnect ?? {};
    const initial = r.initialDelayMs ?? 500;
    const max = r.maxDelayMs ?? 15_000;
    const factor = r.factor ?? 2;
    const jitter = r.jitter ?? 0.2;
    const attempt = this.state.attempt;
    const base = Math.min(max, initial * Math.pow(factor, attempt));
    const delay = Math.max(0, Math.round(base * (1 + (Math.random() * 2 - 1) * jitter)));
    this.bump('reconnects');
    this.set({ connectionStatus: 'reconnecting', attempt: attempt + 1 });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  /** Feed a raw frame (string or parsed object). Public for tests and custom transports. */
  onFrame(raw: unknown): void {
    const arrived = now();
    let frame: StreamFrame;
    try {
      frame = (typeof raw === 'string' ? JSON.parse(raw) : raw) as StreamFrame;
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    this.armIdle();
    this.bump('framesReceived');
    if (this.state.attempt !== 0 || this.state.connectionStatus !== 'connected') {
      this.set({ attempt: 0, connectionStatus: 'connected' });
    }
    switch (frame.kind) {
      case 'snapshot': {
        const f = frame as { data: Snapshot; seq?: number; epoch?: string; reason?: string; part?: number };
        this.flush();
        this.pending = [];
        if (f.part === 2) {
          // the rest of the snapshot whose first part is shown: its layers and meta join it
          const first = this.firstPart;
          this.firstPart = null;
          if (!first || first.seq !== f.seq || first.epoch !== f.epoch || !f.data || typeof f.data !== 'object') {
            this.onGap('a snapshot part without its first part');
            return;
          }
          const rest = f.data as Partial<Snapshot>;
          const whole = { ...first.data, ...rest, layers: { ...first.data.layers, ...rest.layers } } as Snapshot;
          this.adoptSnapshot(whole, { seq: f.seq, epoch: f.epoch }, true);
          break;
        }
        this.firstPart = null;
        if (f.part === 1 && f.data && typeof f.data === 'object') {
          // drawn at once, its missing layers empty and named in `meta.partial`; no event is
          // applied before the second part
          this.firstPart = { data: f.data, seq: f.seq, epoch: f.epoch };
          mark('living-map:snapshot-parsed', arrived);
          this.adoptSnapshot(withAllLayers(f.data), { seq: f.seq, epoch: f.epoch }, false);
          break;
        }
        if (f.reason === 'resync') {
          this.bump('resyncs');
          const why = this.lastSeq !== undefined ? `resume from seq ${this.lastSeq} answered with a fresh snapshot` : 'fresh snapshot';
          this.set({ lastResync: { kind: 'server', reason: why, at: new Date().toISOString() } });
        }
        const pos = snapshotPosition(f.data);
        // user timing: the frame's arrival and its parse, for the web UI's first-draw benchmark
        mark('living-map:snapshot-parsed', arrived);
        this.adoptSnapshot(f.data, { seq: f.seq ?? pos.seq, epoch: f.epoch ?? pos.epoch }, true);
        break;
      }
      case 'event':
        this.onEventFrame(frame as unknown as LivingMapEvent & { kind: string });
        break;
      case 'error':
        this.set({ error: new Error(String((frame as { error?: unknown }).error ?? 'stream error')) });
        break;
      default:
        break; // ping and unknown kinds
    }
  }

  private adoptSnapshot(s: Snapshot, pos: { seq?: number; epoch?: string }, live: boolean): void {
    this.lastSeq = pos.seq;
    this.epoch = pos.epoch ?? this.epoch;
    this.gapStreak = 0;
    const hidden = (s.meta as { hidden_layers?: unknown } | undefined)?.hidden_layers;
    this.serverFiltered = Array.isArray(hidden) && hidden.length > 0;
    const norm = normalizeSnapshot(s, live);
    const snap = pos.seq !== undefined && norm.seq === undefined ? { ...norm, seq: pos.seq, epoch: pos.epoch } : norm;
    this.set({ snapshot: snap, seq: this.lastSeq, epoch: this.epoch, error: null });
  }

  private onEventFrame(f: LivingMapEvent & { kind?: string }): void {
    const { kind: _k, ...ev } = f;
    const seq = typeof ev.seq === 'number' ? ev.seq : undefined;
    if (seq !== undefined && this.lastSeq !== undefined) {
      if (ev.epoch && this.epoch && ev.epoch !== this.epoch) {
        this.onGap('epoch changed');
        return;
      }
      if (seq <= this.lastSeq) {
        this.bump('duplicates');
        return;
      }
      const filtered =
        (this.hasFilters() || this.serverFiltered) && !this.options.detectGapsWithFilters;
      // Cluster mode: seqs are stream sequences with holes; prev_seq names the event before.
      const prev = typeof ev.prev_seq === 'number' ? ev.prev_seq : undefined;
      const gap = prev !== undefined ? prev !== this.lastSeq : seq > this.lastSeq + 1;
      if (gap && !filtered) {
        this.onGap(
          prev !== undefined
            ? `event ${seq} follows ${prev}, last applied ${this.lastSeq}`
            : `expected seq ${this.lastSeq + 1}, got ${seq}`,
        );
        return;
      }
    }
    if (seq !== undefined) this.lastSeq = seq;
    if (ev.epoch) this.epoch = ev.epoch;
    this.gapStreak = 0;
    this.pending.push(ev as LivingMapEvent);
    this.scheduleFlush();
  }

  private hasFilters(): boolean {
    const f = this.options.filters;
    return !!f && Object.values(f).some((v) => Array.isArray(v) && v.length > 0);
  }

  private onGap(why: string): void {
    this.bump('gaps');
    this.flush();
    this.gapStreak++;
    // First try to resume from the last applied position; if that gaps again, start fresh.
    if (this.gapStreak > 1) {
      this.forceFresh = true;
      this.lastSeq = undefined;
    }
    this.set({
      error: new Error(`stream gap: ${why}; resyncing`),
      lastResync: { kind: 'gap', reason: why, at: new Date().toISOString() },
    });
    if (!this.stopped) this.reconnectNow();
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flush();
    }, this.options.batchMs);
  }

  /** Apply pending events now. */
  flush(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    const snapshot = this.state.snapshot ? stampLive(applyEvents(this.state.snapshot, batch), batch) : null;
    const max = this.options.maxEvents;
    const events = batch.slice(-max).reverse().concat(this.state.events).slice(0, max);
    this.bump('eventsApplied', batch.length);
    this.set({ snapshot, events, seq: this.lastSeq, epoch: this.epoch });
    for (const l of this.eventListeners) l(batch, this.state);
  }
}
