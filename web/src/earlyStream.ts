import type { WebSocketFactory, WebSocketLike } from '@daarion/living-map-client';

interface EarlyEvent {
  type: 'open' | 'message' | 'error' | 'close';
  data?: unknown;
  code?: number;
  reason?: string;
}
/** What `public/early-stream.js` leaves: the stream it opened in a worker, and what arrived. */
interface EarlyStream {
  url: string;
  worker: Worker;
  events: EarlyEvent[];
  adopted: boolean;
  /** the snapshot came over HTTP and `open` was already given: the socket's own open is not news */
  opened?: boolean;
  /** where the early script delivers what arrives (the snapshot over HTTP, the worker's frames) */
  push?: (e: EarlyEvent) => void;
  /** a worker the app opened itself (a later connection), not the early script's */
  fresh?: boolean;
}

declare global {
  interface Window {
    __livingMapEarly?: EarlyStream;
  }
}

/**
 * A WebSocket factory that hands out, once, the connection `public/early-stream.js` opened
 * before the bundle loaded, when the client asks for the same URL: what arrived meanwhile (open,
 * the snapshot, events, a close) is replayed in order, then the rest follows as it comes. Any
 * other URL or a later connection (a reconnect) gets a stream worker of its own, so that no
 * connection is read on the main thread; where workers are missing, an ordinary WebSocket.
 */
export function earlyStreamFactory(workerUrl = './stream-worker.js'): WebSocketFactory {
  return (url) => {
    const early = typeof window !== 'undefined' ? window.__livingMapEarly : undefined;
    if (early && !early.adopted) {
      early.adopted = true;
      if (early.url === url) return adopt(early);
      early.worker.terminate();
    }
    if (typeof Worker === 'function') {
      try {
        const worker = new Worker(workerUrl);
        worker.postMessage({ open: url });
        return adopt({ url, worker, events: [], adopted: true, fresh: true });
      } catch {
        // a worker refused (a CSP without worker-src): read the socket here
      }
    }
    return new WebSocket(url) as unknown as WebSocketLike;
  };
}

function adopt(early: EarlyStream): WebSocketLike {
  const worker = early.worker;
  let readyState = 0; // CONNECTING, as WebSocket
  const sock: WebSocketLike = {
    get readyState() {
      return readyState;
    },
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
    send: (data) => worker.postMessage({ send: data }),
    close: (code, reason) => {
      if (readyState === 3) return;
      readyState = 2;
      worker.postMessage({ close: [code ?? 1000, reason ?? ''] });
    },
  };
  const deliver = (e: EarlyEvent) => {
    if (readyState === 3) return;
    if (e.type === 'open') {
      readyState = 1;
      sock.onopen?.({});
    } else if (e.type === 'message') sock.onmessage?.({ data: e.data });
    else if (e.type === 'error') sock.onerror?.({});
    else {
      readyState = 3;
      worker.terminate();
      sock.onclose?.({ code: e.code, reason: e.reason });
    }
  };
  // the client sets its handlers right after the factory returns: replay on the next task, and
  // queue what arrives until the replay is done, so that the order holds
  const pending = early.events;
  let replaying = true;
  const push = (e: EarlyEvent) => {
    if (replaying) pending.push(e);
    else deliver(e);
  };
  // the early script may still hand over the snapshot it fetched: through here from now on
  early.push = push;
  // The early script's own handler (it decodes the snapshot the worker fetched, and knows
  // whether the socket's `open` is news) now delivers through `push`; a worker of the app's own
  // gets a plain one.
  if (early.fresh) {
    worker.onmessage = (e: MessageEvent) => push(e.data as EarlyEvent);
    worker.onerror = () => push({ type: 'close', code: 1006, reason: 'stream worker failed' });
  }
  setTimeout(() => {
    for (let i = 0; i < pending.length; i++) deliver(pending[i]);
    pending.length = 0;
    replaying = false;
  }, 0);
  return sock;
}
