import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { earlyStreamFactory } from './earlyStream';

// public/early-stream.js as the page runs it, with a fake Worker and fetch: the snapshot comes
// over HTTP, the stream is opened from its position, and the app adopts one connection whose
// first frame is that snapshot, whenever the snapshot arrives.
const SCRIPT = fs.readFileSync(path.join(__dirname, '../public/early-stream.js'), 'utf8');
const SNAPSHOT = '{"generated_at":"2026-12-05T00:00:00Z","seq":42,"epoch":"e1","layers":{"city":{"items":[{"id":"microdao:a","seq":7}]}}}';

class FakeWorker {
  static last: FakeWorker;
  posted: unknown[] = [];
  terminated = false;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor() {
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
let answer: (r: { ok: boolean; status?: number; text: () => Promise<string> }) => void;
let fail: (e: Error) => void;
const saved: Record<string, unknown> = {};

beforeEach(() => {
  for (const k of ['window', 'location', 'Worker', 'WebSocket', 'fetch']) saved[k] = g[k];
  g.window = globalThis;
  g.location = { search: '', pathname: '/', origin: 'http://h' };
  g.Worker = FakeWorker;
  g.WebSocket = function () {};
  g.fetch = () =>
    new Promise((res, rej) => {
      answer = res;
      fail = rej;
    });
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
  const sock = earlyStreamFactory()('ws://h/living-map/stream');
  sock.onopen = () => seen.push('open');
  sock.onmessage = (m) => {
    const f = JSON.parse(String(m.data));
    seen.push(f.kind === 'snapshot' ? `snapshot ${f.seq} ${f.epoch} ${JSON.stringify(f.data)}` : `${f.kind} ${f.seq}`);
  };
  sock.onclose = (e) => seen.push(`close ${e.code}`);
  return { sock, seen };
}

describe('early stream: the snapshot over HTTP, the stream from its position', () => {
  it('hands the HTTP snapshot over as the first frame, then the events since it', async () => {
    answer({ ok: true, text: async () => SNAPSHOT });
    await tick();
    const w = FakeWorker.last;
    expect(w.posted).toEqual([{ open: 'ws://h/living-map/stream?since_seq=42&epoch=e1' }]);
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
    answer({ ok: true, text: async () => SNAPSHOT });
    await tick();
    const w = FakeWorker.last;
    w.emit({ type: 'open' });
    w.emit({ type: 'message', data: '{"kind":"event","seq":43}' });
    expect(seen).toEqual(['open', `snapshot 42 e1 ${SNAPSHOT}`, 'event 43']);
  });

  it('opens the stream the ordinary way when the snapshot request fails or has no position', async () => {
    fail(new Error('offline'));
    await tick();
    expect(FakeWorker.last.posted).toEqual([{ open: 'ws://h/living-map/stream' }]);
    delete g.__livingMapEarly;
    new Function(SCRIPT)();
    answer({ ok: true, text: async () => '{"layers":{}}' });
    await tick();
    expect(FakeWorker.last.posted).toEqual([{ open: 'ws://h/living-map/stream' }]);
    const { seen } = adopt();
    FakeWorker.last.emit({ type: 'open' });
    FakeWorker.last.emit({ type: 'message', data: '{"kind":"snapshot","seq":9,"epoch":"e","data":{}}' });
    await tick();
    expect(seen).toEqual(['open', 'snapshot 9 e {}']);
  });
});
