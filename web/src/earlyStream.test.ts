import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { earlyStreamFactory } from './earlyStream';

// public/early-stream.js as the page runs it, with a fake Worker and fetch: the snapshot comes
// over HTTP, the stream is opened from its position, and the app adopts one connection whose
// first frame is that snapshot, whenever the snapshot arrives.
const SCRIPT = fs.readFileSync(path.join(__dirname, '../public/early-stream.js'), 'utf8');
const SNAPSHOT = '{"generated_at":"2026-12-05T00:00:00Z","seq":42,"epoch":"e1","layers":{"city":{"items":[{"id":"microdao:a","seq":7}]}}}';
/** the stream's first frame the worker makes of it */
const FRAME = `{"kind":"snapshot","seq":42,"epoch":"e1","data":${SNAPSHOT}}`;

class FakeWorker {
  static last: FakeWorker;
  posted: unknown[] = [];
  terminated = false;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(public url: string) {
    FakeWorker.last = this;
  }
  postMessage(m: unknown) {
    this.posted.push(m);
  }
  terminate() {
    this.terminated = true;
  }
  /** the worker's socket says something */
  emit(data: unknown) {
    this.onmessage?.({ data });
  }
}

const g = globalThis as Record<string, unknown>;
const saved: Record<string, unknown> = {};

beforeEach(() => {
  for (const k of ['window', 'location', 'Worker', 'WebSocket']) saved[k] = g[k];
  g.window = globalThis;
  g.location = { search: '', pathname: '/', origin: 'http://h' };
  g.Worker = FakeWorker;
  g.WebSocket = function () {};
  delete g.__livingMapEarly;
  new Function(SCRIPT)();
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) g[k] = v;
  delete g.__livingMapEarly;
});

const tick = () => new Promise((r) => setTimeout(r, 0));

/** the app's side: adopt the stream, record what it sees */
function adopt() {
  const seen: string[] = [];
  const sock = earlyStreamFactory()('ws://h/living-map/stream?batch=1');
  sock.onopen = () => seen.push('open');
  sock.onmessage = (m) => {
    const f = JSON.parse(String(m.data));
    seen.push(f.kind === 'snapshot' ? `snapshot ${f.seq} ${f.epoch} ${JSON.stringify(f.data)}` : `${f.kind} ${f.seq}`);
  };
  sock.onclose = (e) => seen.push(`close ${e.code}`);
  return { sock, seen };
}

describe('early stream: the snapshot over HTTP, the stream from its position', () => {
  it('asks its worker for the snapshot and the batched stream in the worker URL, not in a message', () => {
    const [file, fragment] = FakeWorker.last.url.split('#');
    expect(file).toBe('./stream-worker.js');
    expect(JSON.parse(decodeURIComponent(fragment))).toEqual({ snapshot: 'http://h/living-map/snapshot', open: 'ws://h/living-map/stream?batch=1' });
    expect(FakeWorker.last.posted).toEqual([]);
  });

  it('hands the snapshot the worker fetched over as the first frame, then the events since it', async () => {
    const w = FakeWorker.last;
    w.emit({ type: 'snapshot', data: FRAME });
    w.emit({ type: 'open' });
    w.emit({ type: 'message', data: '{"kind":"event","seq":43}' });
    const { seen } = adopt();
    w.emit({ type: 'message', data: '{"kind":"event","seq":44}' });
    await tick();
    expect(seen).toEqual(['open', `snapshot 42 e1 ${SNAPSHOT}`, 'event 43', 'event 44']);
  });

  it('delivers the snapshot when it arrives after the app adopted the connection', async () => {
    const { seen } = adopt();
    await tick();
    expect(seen).toEqual([]);
    const w = FakeWorker.last;
    w.emit({ type: 'snapshot', data: FRAME });
    w.emit({ type: 'open' });
    w.emit({ type: 'message', data: '{"kind":"event","seq":43}' });
    expect(seen).toEqual(['open', `snapshot 42 e1 ${SNAPSHOT}`, 'event 43']);
  });

  it('passes the stream through as it comes when the worker found no snapshot', async () => {
    const { seen } = adopt();
    FakeWorker.last.emit({ type: 'open' });
    FakeWorker.last.emit({ type: 'message', data: '{"kind":"snapshot","seq":9,"epoch":"e","data":{}}' });
    await tick();
    expect(seen).toEqual(['open', 'snapshot 9 e {}']);
  });
});

describe('later connections', () => {
  it('get a stream worker of their own, opened with their URL', async () => {
    const factory = earlyStreamFactory();
    factory('ws://h/living-map/stream?batch=1'); // adopts the early one
    const seen: string[] = [];
    const sock = factory('ws://h/living-map/stream?batch=1&since_seq=50&epoch=e1');
    const w = FakeWorker.last;
    expect(w.posted).toEqual([{ open: 'ws://h/living-map/stream?batch=1&since_seq=50&epoch=e1' }]);
    sock.onopen = () => seen.push('open');
    sock.onmessage = (m) => seen.push(String(m.data));
    sock.onclose = (e) => seen.push(`close ${e.code}`);
    w.emit({ type: 'open' });
    w.emit({ type: 'message', data: 'a\nb' });
    w.emit({ type: 'close', code: 1006 });
    await tick();
    expect(seen).toEqual(['open', 'a\nb', 'close 1006']);
    expect(w.terminated).toBe(true);
  });
});

// public/stream-worker.js as a worker runs it, with a fake WebSocket and timers
describe('stream worker', () => {
  const WORKER = fs.readFileSync(path.join(__dirname, '../public/stream-worker.js'), 'utf8');
  function run(fetchAnswer?: () => Promise<unknown>) {
    const posted: unknown[] = [];
    const transfers: unknown[] = [];
    const timers: (() => void)[] = [];
    let socket: Record<string, (e?: unknown) => void> & { url?: string } = {};
    const scope: Record<string, unknown> = {
      onmessage: null,
      postMessage: (m: unknown, t?: unknown[]) => posted.push(m) && t && transfers.push(...t),
      fetch: fetchAnswer ? () => fetchAnswer() : undefined,
      TextDecoder,
      setTimeout: (f: () => void) => timers.push(f) && timers.length,
      close: () => posted.push('closed'),
      WebSocket: function (this: typeof socket, url: string) {
        socket = this;
        this.url = url;
      },
    };
    const body = new Function('scope', `with (scope) { ${WORKER}; return onmessage; }`);
    const onmessage = body(scope) as (e: { data: unknown }) => void;
    return { posted, transfers, timers, socket: () => socket, send: (m: unknown) => onmessage({ data: m }) };
  }

  it('joins the frames of a batched stream that arrive within the flush interval, in order', () => {
    const w = run();
    w.send({ open: 'ws://h/s?batch=1' });
    w.socket().onopen();
    w.socket().onmessage({ data: '{"seq":1}' });
    w.socket().onmessage({ data: '{"seq":2}\n{"seq":3}' });
    expect(w.posted).toEqual([{ type: 'open' }]);
    expect(w.timers.length).toBe(1);
    w.timers[0]();
    w.socket().onmessage({ data: '{"seq":4}' });
    w.socket().onclose({ code: 1006, reason: 'x' });
    expect(w.posted).toEqual([
      { type: 'open' },
      { type: 'message', data: '{"seq":1}\n{"seq":2}\n{"seq":3}' },
      { type: 'message', data: '{"seq":4}' },
      { type: 'close', code: 1006, reason: 'x' },
      'closed',
    ]);
  });

  it('passes frames through one by one when the stream is not batched', () => {
    const w = run();
    w.send({ open: 'ws://h/s' });
    w.socket().onmessage({ data: '{"seq":1}' });
    w.socket().onmessage({ data: '{"seq":2}' });
    expect(w.posted).toEqual([
      { type: 'message', data: '{"seq":1}' },
      { type: 'message', data: '{"seq":2}' },
    ]);
    expect(w.timers.length).toBe(0);
  });
});

describe('stream worker: the snapshot first', () => {
  const WORKER = fs.readFileSync(path.join(__dirname, '../public/stream-worker.js'), 'utf8');
  function run(answer: (url: string) => Promise<unknown>, hash = '') {
    const posted: unknown[] = [];
    const transfers: unknown[] = [];
    const opened: string[] = [];
    const asked: string[] = [];
    const scope: Record<string, unknown> = {
      onmessage: null,
      postMessage: (m: unknown, t?: unknown[]) => {
        posted.push(m);
        if (t) transfers.push(...t);
      },
      setTimeout: () => 0,
      close: () => posted.push('closed'),
      fetch: (url: string) => {
        asked.push(url);
        return answer(url);
      },
      TextDecoder,
      WebSocket: function (url: string) {
        opened.push(url);
      },
      location: { hash },
    };
    const onmessage = new Function('scope', `with (scope) { ${WORKER}; return onmessage; }`)(scope) as (e: { data: unknown }) => void;
    return { posted, transfers, opened, asked, send: (m: unknown) => onmessage({ data: m }) };
  }
  const settle = () => new Promise((r) => setTimeout(r, 10));

  const json = (text: string) => new Response(text, { headers: { 'Content-Type': 'application/json' } });

  it("asks for the gzip file, inflates it, posts the snapshot as the stream's first frame, then opens the stream from its position", async () => {
    const w = run(async () => new Response(gzipSync(SNAPSHOT), { headers: { 'Content-Type': 'application/gzip' } }));
    w.send({ snapshot: 'http://h/living-map/snapshot', open: 'ws://h/living-map/stream?batch=1' });
    await settle();
    await vi.waitFor(() => expect(w.posted.length).toBe(1));
    expect(w.posted[0]).toEqual({ type: 'snapshot', data: FRAME, steps: expect.any(Object) });
    expect(w.opened).toEqual(['ws://h/living-map/stream?batch=1&since_seq=42&epoch=e1']);
    expect(w.asked).toEqual(['http://h/living-map/snapshot?wire=gzip']);
  });

  it('reads JSON from a service that answers JSON anyway, and asks again without wire where it is refused', async () => {
    for (const [answer, asked] of [
      [async () => json(SNAPSHOT), ['http://h/living-map/snapshot?wire=gzip']],
      [async (url: string) => (url.includes('wire') ? new Response('{}', { status: 400 }) : json(SNAPSHOT)), ['http://h/living-map/snapshot?wire=gzip', 'http://h/living-map/snapshot']],
    ] as const) {
      const w = run(answer);
      w.send({ snapshot: 'http://h/living-map/snapshot', open: 'ws://h/living-map/stream?batch=1' });
      await settle();
      expect(w.asked).toEqual(asked);
      expect(w.posted[0]).toEqual({ type: 'snapshot', data: FRAME, steps: expect.any(Object) });
    }
  });

  it('opens the stream the ordinary way when the request fails or the answer has no position', async () => {
    for (const answer of [
      async () => {
        throw new Error('offline');
      },
      async () => new Response('{}', { status: 503 }),
      async () => json('{"layers":{}}'),
    ]) {
      const w = run(answer);
      w.send({ snapshot: 'http://h/living-map/snapshot', open: 'ws://h/living-map/stream?batch=1' });
      await settle();
      expect(w.posted).toEqual([]);
      expect(w.opened).toEqual(['ws://h/living-map/stream?batch=1']);
    }
  });

  // the service's layout: layers city, space, nodes, agents, then meta; hostile strings inside
  const HOSTILE = '}}]] {[,\\"agents\\":{\\"x\\":1}, \\\\';
  const LAID_OUT =
    '{"generated_at":"2026-12-05T00:00:00Z","seq":42,"epoch":"e1","layers":{' +
    `"city":{"items":[{"id":"microdao:a","name":"${HOSTILE}","agents":19,"x":{"agents":{"a":1}}}]},` +
    '"space":{"planets":[],"nodes":[]},"nodes":{"items":[{"id":"node:n","name":"n"}]},' +
    '"agents":{"items":[{"id":"agent:a","name":"a"}],"total_agents":1}},' +
    '"meta":{"version":"v","agents":{"a":1}}}';
  /** an answer whose body comes `size` bytes at a time: keys and escapes fall across pieces */
  const inPieces = (text: string, size: number) => {
    const bytes = new TextEncoder().encode(text);
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= bytes.length) return c.close();
        c.enqueue(bytes.slice(at, (at += size)));
      },
    });
    return new Response(body, { headers: { 'Content-Type': 'application/json' } });
  };
  const frames = (w: { posted: unknown[] }) => w.posted.map((m) => JSON.parse((m as { data: string }).data));

  it('hands a snapshot in the service layout over in two parts: the layers before the agents first, then the agents and meta', async () => {
    for (const size of [1, 3, 7, 64, 100000]) {
      const w = run(async () => inPieces(LAID_OUT, size));
      w.send({ snapshot: 'http://h/living-map/snapshot', open: 'ws://h/living-map/stream?batch=1' });
      await vi.waitFor(() => expect(w.opened.length).toBe(1));
      expect(w.posted.map((m) => (m as { type: string }).type)).toEqual(['snapshot', 'message']);
      const [first, rest] = frames(w);
      const whole = JSON.parse(LAID_OUT);
      const { agents, ...before } = whole.layers;
      expect(first).toEqual({ kind: 'snapshot', seq: 42, epoch: 'e1', part: 1, data: { generated_at: whole.generated_at, seq: 42, epoch: 'e1', layers: before } });
      expect(rest).toEqual({ kind: 'snapshot', seq: 42, epoch: 'e1', part: 2, data: { layers: { agents }, meta: whole.meta } });
      expect(first.data.layers.city.items[0].name).toBe(whole.layers.city.items[0].name);
      expect(w.opened).toEqual(['ws://h/living-map/stream?batch=1&since_seq=42&epoch=e1']);
    }
  });

  it('hands any other layout over whole', async () => {
    const head = '{"generated_at":"2026-12-05T00:00:00Z","seq":42,"epoch":"e1",';
    for (const text of [
      head + '"layers":{"agents":{"items":[]},"city":{"items":[]}}}', // agents first: nothing before them
      head + '"layers":{"city":{"items":[]}},"meta":{"x":1,"agents":{"items":[]}}}', // "agents" only in meta
      head + '"layers":{"city":{"items":[{"n":",\\"agents\\":{"}]}}}', // only inside a string
      head + '"layers":{"city":{"items":[]}, "agents":{"items":[]}}}', // not the service's compact form
    ]) {
      const w = run(async () => inPieces(text, 5));
      w.send({ snapshot: 'http://h/living-map/snapshot', open: 'ws://h/living-map/stream?batch=1' });
      await vi.waitFor(() => expect(w.opened.length).toBe(1));
      expect(frames(w)).toEqual([{ kind: 'snapshot', seq: 42, epoch: 'e1', data: JSON.parse(text) }]);
    }
  });

  it('starts from its URL fragment without waiting for a message, and only once', async () => {
    const m = { snapshot: 'http://h/living-map/snapshot', open: 'ws://h/living-map/stream?batch=1' };
    const w = run(async () => json(SNAPSHOT), '#' + encodeURIComponent(JSON.stringify(m)));
    expect(w.asked).toEqual(['http://h/living-map/snapshot?wire=gzip']);
    w.send(m); // an old page's message as well: not a second request
    await vi.waitFor(() => expect(w.opened).toEqual(['ws://h/living-map/stream?batch=1&since_seq=42&epoch=e1']));
    expect(w.asked).toHaveLength(1);
    expect(w.posted).toEqual([{ type: 'snapshot', data: FRAME, steps: expect.any(Object) }]);
    for (const hash of ['#', '#%7Bbad', '#' + encodeURIComponent('{"open":1}')]) expect(run(async () => json(SNAPSHOT), hash).asked).toEqual([]);
  });

  it('opens nothing when the page closed while the snapshot was on its way', async () => {
    let release: (v: unknown) => void = () => {};
    const w = run(() => new Promise((r) => (release = r)));
    w.send({ snapshot: 'http://h/living-map/snapshot', open: 'ws://h/living-map/stream?batch=1' });
    w.send({ close: [1000, 'bye'] });
    release(json(SNAPSHOT));
    await settle();
    expect(w.opened).toEqual([]);
    expect(w.posted[0]).toEqual({ type: 'close', code: 1000, reason: 'bye' });
  });
});
