import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LivingMapClient, type WebSocketLike } from './client.js';
import { snap } from './fixtures.test-helpers.js';

/** A fake WebSocket the test drives: `open()`, `frame()`, `drop()`. */
class FakeWs implements WebSocketLike {
  static all: FakeWs[] = [];
  readyState = 0;
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  closed = false;
  constructor(public url: string) {
    FakeWs.all.push(this);
  }
  send() {}
  close() {
    this.closed = true;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  frame(f: unknown) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  get params() {
    return new URL(this.url).searchParams;
  }
}
const last = () => FakeWs.all[FakeWs.all.length - 1];
const metrics = (seq: number, cpu: number, epoch = 'e1') => ({ kind: 'event', event_type: 'node.metrics.node-03', timestamp: 't', payload: { node_id: 'node:03', cpu }, seq, epoch, entity_id: 'node:03', entity_type: 'node' });

function makeClient(extra = {}) {
  return new LivingMapClient({
    baseUrl: 'http://map.test',
    batchMs: 0,
    idleTimeoutMs: 0,
    reconnect: { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0 },
    webSocketFactory: (url) => new FakeWs(url),
    ...extra,
  });
}

beforeEach(() => {
  FakeWs.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LivingMapClient', () => {
  it('builds URLs from a configurable base, with filters', () => {
    const c = makeClient({ filters: { layers: ['nodes', 'agents'], events: ['node.metrics.>'] } });
    expect(c.apiUrl('/snapshot')).toBe('http://map.test/living-map/snapshot');
    expect(c.streamUrl()).toBe('ws://map.test/living-map/stream?layers=nodes%2Cagents&events=node.metrics.%3E');
    const s = new LivingMapClient({ baseUrl: 'https://x.y/api/' });
    expect(s.streamUrl({ since_seq: 5, epoch: 'e' })).toBe('wss://x.y/api/living-map/stream?since_seq=5&epoch=e');
  });

  it('takes the snapshot from the stream and applies events in order', async () => {
    const c = makeClient();
    c.start();
    const ws = last();
    expect(ws.params.get('since_seq')).toBeNull();
    ws.open();
    ws.frame({ kind: 'snapshot', data: snap(), seq: 10, epoch: 'e1' });
    expect(c.getState().snapshot?.layers.nodes.items[0].metrics.cpu).toBe(0.1);
    const before = c.getState().snapshot;
    ws.frame(metrics(11, 0.5));
    ws.frame(metrics(12, 0.6));
    await vi.advanceTimersByTimeAsync(1);
    const st = c.getState();
    expect(st.snapshot?.layers.nodes.items[0].metrics.cpu).toBe(0.6);
    expect(st.seq).toBe(12);
    expect(st.events.map((e) => e.seq)).toEqual([12, 11]);
    expect(before?.layers.nodes.items[0].metrics.cpu).toBe(0.1); // earlier snapshot untouched
    expect(st.connectionStatus).toBe('connected');
    c.stop();
  });

  it('a snapshot in two parts: the first is shown with its missing layers empty and named, the second joins it; events wait for both', async () => {
    const c = makeClient();
    c.start();
    const ws = last();
    ws.open();
    const whole = snap();
    const { agents, ...before } = whole.layers;
    const { meta, ...head } = whole;
    ws.frame({ kind: 'snapshot', part: 1, data: { ...head, layers: before }, seq: 10, epoch: 'e1' });
    let s = c.getState().snapshot!;
    expect(s.layers.nodes.items).toHaveLength(2);
    expect(s.layers.agents.items).toEqual([]);
    expect(s.meta.partial).toEqual(['agents']);
    expect(s.meta.live).toBe(false);
    const nodesLayer = s.layers.nodes;
    ws.frame({ kind: 'snapshot', part: 2, data: { layers: { agents }, meta }, seq: 10, epoch: 'e1' });
    expect(c.getState().snapshot!.layers.nodes).toBe(nodesLayer); // the first part's objects kept
    ws.frame(metrics(11, 0.5));
    await vi.advanceTimersByTimeAsync(1);
    s = c.getState().snapshot!;
    expect(s.meta.partial).toBeUndefined();
    expect(s.meta.version).toBe(meta.version);
    expect(s.layers.agents.items.map((a) => a.id)).toEqual(agents.items.map((a) => a.id));
    expect(s.layers.nodes.items[0].metrics.cpu).toBe(0.5);
    expect(c.getState().stats.gaps).toBe(0);
    c.stop();
  });

  it('a second part without its first (or of another position) is a gap: the client starts again', async () => {
    for (const first of [undefined, { seq: 9, epoch: 'e1' }, { seq: 10, epoch: 'e0' }]) {
      FakeWs.all = [];
      const c = makeClient();
      c.start();
      const ws = last();
      ws.open();
      const { agents, ...before } = snap().layers;
      if (first) ws.frame({ kind: 'snapshot', part: 1, data: { ...snap(), layers: before }, ...first });
      ws.frame({ kind: 'snapshot', part: 2, data: { layers: { agents } }, seq: 10, epoch: 'e1' });
      expect(c.getState().stats.gaps).toBe(1);
      expect(FakeWs.all).toHaveLength(2);
      expect(ws.closed).toBe(true);
      c.stop();
    }
  });

  it('with batch, asks for batch=1 and applies each line of a message as a frame, in order', async () => {
    const c = makeClient({ batch: true });
    c.start();
    const ws = last();
    expect(ws.params.get('batch')).toBe('1');
    ws.open();
    ws.frame({ kind: 'snapshot', data: snap(), seq: 10, epoch: 'e1' });
    ws.onmessage?.({ data: [metrics(11, 0.5), metrics(12, 0.6), metrics(13, 0.7)].map((f) => JSON.stringify(f)).join('\n') });
    await vi.advanceTimersByTimeAsync(1);
    const st = c.getState();
    expect(st.seq).toBe(13);
    expect(st.events.map((e) => e.seq)).toEqual([13, 12, 11]);
    expect(st.snapshot?.layers.nodes.items[0].metrics.cpu).toBe(0.7);
    expect(st.stats.gaps).toBe(0);
    expect(makeClient().streamUrl()).not.toContain('batch');
    c.stop();
  });

  it('ignores duplicates', async () => {
    const c = makeClient();
    c.start();
    const ws = last();
    ws.open();
    ws.frame({ kind: 'snapshot', data: snap(), seq: 10, epoch: 'e1' });
    ws.frame(metrics(10, 0.9)); // at the snapshot's position: already in it
    ws.frame(metrics(11, 0.5));
    ws.frame(metrics(11, 0.7));
    await vi.advanceTimersByTimeAsync(1);
    expect(c.getState().snapshot?.layers.nodes.items[0].metrics.cpu).toBe(0.5);
    expect(c.getState().stats.duplicates).toBe(2);
    c.stop();
  });

  it('reconnects with backoff and resumes from the last seq; replayed events need no snapshot', async () => {
    const c = makeClient();
    c.start();
    let ws = last();
    ws.open();
    ws.frame({ kind: 'snapshot', data: snap(), seq: 10, epoch: 'e1' });
    ws.frame(metrics(11, 0.5));
    ws.drop();
    expect(c.getState().connectionStatus).toBe('reconnecting');
    expect(FakeWs.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(FakeWs.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(FakeWs.all).toHaveLength(2);
    ws = last();
    expect(ws.params.get('since_seq')).toBe('11');
    expect(ws.params.get('epoch')).toBe('e1');
    // the connection fails again: the delay doubles
    ws.drop();
    await vi.advanceTimersByTimeAsync(199);
    expect(FakeWs.all).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2);
    ws = last();
    expect(ws.params.get('since_seq')).toBe('11');
    ws.open();
    ws.frame(metrics(12, 0.6));
    ws.frame(metrics(13, 0.7));
    await vi.advanceTimersByTimeAsync(1);
    const st = c.getState();
    expect(st.snapshot?.layers.nodes.items[0].metrics.cpu).toBe(0.7);
    expect(st.seq).toBe(13);
    expect(st.attempt).toBe(0);
    expect(st.stats.gaps).toBe(0);
    // after a success the backoff starts again from the first delay
    ws.drop();
    await vi.advanceTimersByTimeAsync(101);
    expect(FakeWs.all).toHaveLength(4);
    c.stop();
  });

  it('takes a resync snapshot on resume when the server sends one', async () => {
    const c = makeClient();
    c.start();
    let ws = last();
    ws.open();
    ws.frame({ kind: 'snapshot', data: snap(), seq: 10, epoch: 'e1' });
    ws.drop();
    await vi.advanceTimersByTimeAsync(101);
    ws = last();
    ws.open();
    const fresh = snap();
    fresh.layers.nodes.items[0].metrics.cpu = 0.99;
    ws.frame({ kind: 'snapshot', reason: 'resync', data: { ...fresh, seq: 500, epoch: 'e2' }, seq: 500, epoch: 'e2' });
    ws.frame(metrics(501, 0.3, 'e2'));
    await vi.advanceTimersByTimeAsync(1);
    const st = c.getState();
    expect(st.stats.resyncs).toBe(1);
    expect(st.epoch).toBe('e2');
    expect(st.seq).toBe(501);
    expect(st.snapshot?.layers.nodes.items[0].metrics.cpu).toBe(0.3);
    c.stop();
  });

  it('detects a gap: resumes from the last applied seq, and starts fresh if the gap persists', async () => {
    const c = makeClient();
    c.start();
    let ws = last();
    ws.open();
    ws.frame({ kind: 'snapshot', data: snap(), seq: 10, epoch: 'e1' });
    ws.frame(metrics(11, 0.5));
    ws.frame(metrics(14, 0.8)); // 12 and 13 are missing
    expect(c.getState().stats.gaps).toBe(1);
    expect(ws.closed).toBe(true);
    ws = last();
    expect(FakeWs.all).toHaveLength(2);
    expect(ws.params.get('since_seq')).toBe('11');
    await vi.advanceTimersByTimeAsync(1);
    expect(c.getState().snapshot?.layers.nodes.items[0].metrics.cpu).toBe(0.5); // 14 was not applied
    ws.open();
    ws.frame(metrics(15, 0.2)); // the resumed stream gaps too
    ws = last();
    expect(FakeWs.all).toHaveLength(3);
    expect(ws.params.get('since_seq')).toBeNull(); // fresh: the server sends a snapshot
    ws.open();
    ws.frame({ kind: 'snapshot', data: { ...snap(), seq: 20 }, seq: 20, epoch: 'e1' });
    ws.frame(metrics(21, 0.4));
    await vi.advanceTimersByTimeAsync(1);
    expect(c.getState().snapshot?.layers.nodes.items[0].metrics.cpu).toBe(0.4);
    expect(c.getState().seq).toBe(21);
    c.stop();
  });

  it('cluster mode: a seq jump bridged by prev_seq is a hole, not a gap; a prev_seq past the position is', async () => {
    const c = makeClient();
    c.start();
    const ws = last();
    ws.open();
    ws.frame({ kind: 'snapshot', data: snap(), seq: 10, epoch: 'e1' });
    ws.frame({ ...metrics(14, 0.5), prev_seq: 10 }); // 11..13 are not events of this map
    await vi.advanceTimersByTimeAsync(1);
    expect(c.getState().stats.gaps).toBe(0);
    expect(c.getState().seq).toBe(14);
    ws.frame({ ...metrics(20, 0.7), prev_seq: 17 }); // the event at 17 never arrived
    expect(c.getState().stats.gaps).toBe(1);
    expect(last().params.get('since_seq')).toBe('14');
    c.stop();
  });

  it('treats an epoch change in an event as a gap', () => {
    const c = makeClient();
    c.start();
    const ws = last();
    ws.open();
    ws.frame({ kind: 'snapshot', data: snap(), seq: 10, epoch: 'e1' });
    ws.frame(metrics(11, 0.5, 'other'));
    expect(c.getState().stats.gaps).toBe(1);
    expect(FakeWs.all).toHaveLength(2);
    c.stop();
  });

  it('with filters, seq jumps are expected and not gaps', async () => {
    const c = makeClient({ filters: { types: ['node'] } });
    c.start();
    const ws = last();
    ws.open();
    ws.frame({ kind: 'snapshot', data: snap(), seq: 10, epoch: 'e1' });
    ws.frame(metrics(15, 0.5));
    await vi.advanceTimersByTimeAsync(1);
    expect(c.getState().stats.gaps).toBe(0);
    expect(c.getState().snapshot?.layers.nodes.items[0].metrics.cpu).toBe(0.5);
    c.stop();
  });

  it('a caller with hidden layers (meta.hidden_layers): seq jumps are the hidden events, not gaps', async () => {
    const c = makeClient();
    c.start();
    const ws = last();
    ws.open();
    const restricted = snap();
    ws.frame({ kind: 'snapshot', data: { ...restricted, meta: { ...restricted.meta, hidden_layers: ['agents'] } }, seq: 10, epoch: 'e1' });
    ws.frame(metrics(15, 0.5)); // 11..14 were about agents, which this caller may not see
    await vi.advanceTimersByTimeAsync(1);
    expect(c.getState().stats.gaps).toBe(0);
    expect(FakeWs.all).toHaveLength(1);
    expect(c.getState().snapshot?.layers.nodes.items[0].metrics.cpu).toBe(0.5);
    // A fresh unrestricted snapshot turns gap detection back on.
    ws.frame({ kind: 'snapshot', data: snap(), seq: 20, epoch: 'e1' });
    ws.frame(metrics(23, 0.7));
    expect(c.getState().stats.gaps).toBe(1);
    c.stop();
  });

  it('reconnects when the stream goes silent (no pings)', async () => {
    const c = makeClient({ idleTimeoutMs: 5000 });
    c.start();
    const ws = last();
    ws.open();
    ws.frame({ kind: 'snapshot', data: snap(), seq: 10, epoch: 'e1' });
    await vi.advanceTimersByTimeAsync(4000);
    // frames cost no timer each: one timer watches for silence
    const timers = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 100; i++) ws.frame({ kind: 'ping' });
    expect(timers).not.toHaveBeenCalled();
    timers.mockRestore();
    await vi.advanceTimersByTimeAsync(4000);
    expect(FakeWs.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1500);
    expect(FakeWs.all).toHaveLength(2);
    expect(last().params.get('since_seq')).toBe('10');
    c.stop();
  });

  it('refetch() adopts the HTTP snapshot and its position; error frames surface as error', async () => {
    const s = { ...snap(), seq: 42 };
    const fetch = vi.fn(async () => new Response(JSON.stringify(s), { status: 200 }));
    const c = makeClient({ fetch });
    await c.refetch();
    expect(fetch).toHaveBeenCalledWith('http://map.test/living-map/snapshot', expect.anything());
    expect(c.getState().seq).toBe(42);
    expect(c.getState().snapshot?.meta.live).toBe(false); // fetched over HTTP, no stream yet
    c.start();
    expect(last().params.get('since_seq')).toBe('42');
    last().open();
    last().frame({ kind: 'error', error: 'bad filter' });
    expect(c.getState().error?.message).toBe('bad filter');
    c.stop();
    expect(c.getState().connectionStatus).toBe('disconnected');
  });

  it('applied events advance generated_at to the newest event time and mark the snapshot live', async () => {
    const c = makeClient();
    c.start();
    const ws = last();
    ws.open();
    ws.frame({ kind: 'snapshot', data: snap(), seq: 10, epoch: 'e1' });
    const first = c.getState().snapshot!;
    expect(first.generated_at).toBe('2025-11-28T10:00:00Z');
    expect(first.meta.live).toBe(true);
    ws.frame({ ...metrics(11, 0.5), timestamp: '2025-11-28T10:00:05.123456Z' });
    ws.frame({ ...metrics(12, 0.6), timestamp: '2025-11-28T10:00:07Z' });
    await vi.advanceTimersByTimeAsync(1);
    let s = c.getState().snapshot!;
    expect(s.generated_at).toBe('2025-11-28T10:00:07Z');
    expect(s.meta.generated_at).toBe('2025-11-28T10:00:07Z');
    expect(s.meta.server_generated_at).toBe('2025-11-28T10:00:00Z');
    expect(first.generated_at).toBe('2025-11-28T10:00:00Z'); // the earlier snapshot is untouched
    // an event stamped earlier (a lagging publisher clock) never moves it back
    ws.frame({ ...metrics(13, 0.7), timestamp: '2025-11-28T09:59:00Z' });
    await vi.advanceTimersByTimeAsync(1);
    s = c.getState().snapshot!;
    expect(s.layers.nodes.items[0].metrics.cpu).toBe(0.7);
    expect(s.generated_at).toBe('2025-11-28T10:00:07Z');
    c.stop();
  });

  it('fills the meta fields the original contract requires when a server variant leaves them out', () => {
    const c = makeClient();
    c.start();
    last().open();
    const pub = snap() as unknown as Record<string, unknown>;
    pub.meta = { generated_at: '2025-11-28T10:00:00Z' }; // the public view: no source_services, no version
    last().frame({ kind: 'snapshot', data: pub, seq: 10, epoch: 'e1' });
    const m = c.getState().snapshot!.meta;
    expect(m.source_services).toEqual([]);
    expect(m.version).toBe('');
    expect(m.generated_at).toBe('2025-11-28T10:00:00Z');
    c.stop();
  });

  it('records why it re-synchronised: its own gap, and the server resync snapshot', async () => {
    const c = makeClient();
    c.start();
    let ws = last();
    ws.open();
    ws.frame({ kind: 'snapshot', data: snap(), seq: 10, epoch: 'e1' });
    expect(c.getState().lastResync).toBeNull();
    ws.frame(metrics(13, 0.5));
    expect(c.getState().lastResync).toMatchObject({ kind: 'gap', reason: 'expected seq 11, got 13' });
    ws = last();
    ws.open();
    ws.frame({ kind: 'snapshot', reason: 'resync', data: { ...snap(), seq: 40, epoch: 'e2' }, seq: 40, epoch: 'e2' });
    expect(c.getState().lastResync).toMatchObject({ kind: 'server', reason: expect.stringContaining('seq 10') });
    expect(c.getState().error).toBeNull();
    c.stop();
  });

  it('a socket that closes before opening is an error even without an error event', () => {
    const c = makeClient();
    c.start();
    last().drop(1006);
    expect(c.getState().error?.message).toBe('WebSocket error on ws://map.test/living-map/stream (closed before opening, code 1006)');
    expect(c.getState().connectionStatus).toBe('reconnecting');
    c.stop();
  });

  it('HTTP errors carry the status', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ error: 'unknown entity' }), { status: 404, statusText: 'Not Found' }));
    const c = makeClient({ fetch });
    await expect(c.fetchEntity('node:x')).rejects.toMatchObject({ status: 404 });
  });
});
