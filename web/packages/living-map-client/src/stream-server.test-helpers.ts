/**
 * A Living Map stand-in on a real loopback port for the hook's compatibility test: HTTP
 * `GET /living-map/snapshot` and the WebSocket `/living-map/stream` in the contract's shape
 * (snapshot first; events with `seq`/`epoch`; `?since_seq=&epoch=` resumes from a ring or answers
 * `{"kind":"snapshot","reason":"resync"}`). The test drives it: publish events, drop the stream,
 * lose one event (a gap), forget the ring (a resync), stop and start it again with a new epoch (a
 * restart).
 */
import http from 'node:http';
import net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { snap } from './fixtures.test-helpers.js';
import type { Snapshot } from './types.js';

export interface Connection {
  sinceSeq: string | null;
  epoch: string | null;
  /** what the server answered with: replayed events, a resync snapshot, or a first snapshot */
  answer: 'replay' | 'resync' | 'snapshot';
}

export class StreamServer {
  epoch: string;
  seq = 0;
  /** CPU of each node, the server's live state */
  cpu = new Map<string, number>();
  ring: { seq: number; text: string }[] = [];
  connections: Connection[] = [];
  /** the next published event is recorded but not sent: the client sees a gap */
  loseNext = false;
  private sockets = new Set<WebSocket>();
  private server: http.Server | null = null;
  private wss: WebSocketServer | null = null;

  private constructor(
    readonly port: number,
    generation: number,
  ) {
    this.epoch = `epoch-${generation}`;
    for (const n of snap().layers.nodes.items) this.cpu.set(n.id, n.metrics.cpu);
  }

  static async start(port = 0, generation = 1): Promise<StreamServer> {
    const s = new StreamServer(port, generation);
    await s.listen(port);
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  snapshot(): Snapshot {
    const s = snap();
    const now = new Date().toISOString();
    s.generated_at = now;
    s.seq = this.seq;
    s.epoch = this.epoch;
    s.meta = { source_services: ['city-service', 'space-service', 'agents-service'], generated_at: now, version: 'stand-in', seq: this.seq, epoch: this.epoch };
    s.layers.nodes.items = s.layers.nodes.items.map((n) => ({ ...n, metrics: { ...n.metrics, cpu: this.cpu.get(n.id) ?? 0 } }));
    return s;
  }

  /** A `node.metrics` event for `nodeId`; returns its timestamp. */
  publishCpu(nodeId: string, cpu: number, timestamp = new Date().toISOString()): string {
    this.seq++;
    this.cpu.set(nodeId, cpu);
    const text = JSON.stringify({
      kind: 'event',
      seq: this.seq,
      epoch: this.epoch,
      event_type: `node.metrics.${nodeId.replace(/^node:/, '')}`,
      timestamp,
      entity_id: nodeId,
      entity_type: 'node',
      payload: { node_id: nodeId, cpu, gpu: 0.2, ram: 0.3, ts: timestamp },
    });
    this.ring.push({ seq: this.seq, text });
    if (this.loseNext) this.loseNext = false;
    else for (const ws of this.sockets) ws.send(text);
    return timestamp;
  }

  /** The stream drops (as a proxy timeout or a network blip would); the service stays up. */
  dropStreams(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  /** Stop listening and drop every connection (the service goes down). */
  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss?.close();
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
    this.server = null;
  }

  private async listen(port: number): Promise<void> {
    const server = http.createServer((req, res) => {
      if (req.url?.startsWith('/living-map/snapshot')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(this.snapshot()));
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"error":"not found"}');
      }
    });
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, sock, head) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname !== '/living-map/stream') return sock.destroy();
      wss.handleUpgrade(req, sock, head, (ws) => this.accept(ws, u.searchParams));
    });
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(port, '127.0.0.1', () => res());
    });
    (this as { port: number }).port = (server.address() as net.AddressInfo).port;
    this.server = server;
    this.wss = wss;
  }

  private accept(ws: WebSocket, q: URLSearchParams): void {
    const sinceSeq = q.get('since_seq');
    const epoch = q.get('epoch');
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('error', () => this.sockets.delete(ws));
    if (sinceSeq !== null) {
      const since = Number(sinceSeq);
      const oldest = this.ring.length ? this.ring[0].seq : this.seq + 1;
      if (epoch === this.epoch && since >= oldest - 1 && since <= this.seq) {
        this.connections.push({ sinceSeq, epoch, answer: 'replay' });
        for (const f of this.ring) if (f.seq > since) ws.send(f.text);
        return;
      }
      this.connections.push({ sinceSeq, epoch, answer: 'resync' });
      ws.send(JSON.stringify({ kind: 'snapshot', reason: 'resync', seq: this.seq, epoch: this.epoch, data: this.snapshot() }));
      return;
    }
    this.connections.push({ sinceSeq, epoch, answer: 'snapshot' });
    ws.send(JSON.stringify({ kind: 'snapshot', seq: this.seq, epoch: this.epoch, data: this.snapshot() }));
  }
}

/**
 * A port where the service is down but something still answers TCP and hangs up at once (what a
 * restarting service behind a proxy looks like); counts the connection attempts it refused.
 */
export async function downService(port: number): Promise<{ attempts: () => number; close: () => Promise<void> }> {
  let attempts = 0;
  const socks = new Set<net.Socket>();
  const server = net.createServer((s) => {
    attempts++;
    socks.add(s);
    s.destroy();
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(port, '127.0.0.1', () => res());
  });
  return {
    attempts: () => attempts,
    close: () =>
      new Promise<void>((res) => {
        for (const s of socks) s.destroy();
        server.close(() => res());
      }),
  };
}
