// @vitest-environment happy-dom
/**
 * Compatibility: a page written to the ORIGINAL `useLivingMapFull` contract (e2e/compat/
 * OriginalContractPage.tsx: no options, `connectionStatus === 'open'` for the green badge,
 * `{error}` rendered as a React child, the map only while `!isLoading && !error`,
 * `snapshot.layers.*.items`, `meta.source_services`, "Last updated" from `generated_at`), rendered
 * by React in a DOM (happy-dom) whose WebSocket and fetch reach a contract-shaped service on a
 * real loopback port. Across a stream drop, a gap, a resync and a service restart the page keeps
 * its map and never shows the error screen; with no service at all it shows the error as text.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRoot, type Root } from 'react-dom/client';
import { createElement } from 'react';
import { OriginalContractPage } from '../../../e2e/compat/OriginalContractPage.js';
import { downService, StreamServer } from './stream-server.test-helpers.js';

const WAIT = { timeout: 8000, interval: 20 };

let container: HTMLElement;
let root: Root | null = null;
let reactErrors: string[] = [];
let server: StreamServer | null = null;
let observer: MutationObserver | null = null;

/** Every moment the map was missing or the error screen up after the map first appeared. */
let blankMoments: string[] = [];

const q = (id: string) => container.querySelector(`[data-testid=${id}]`);
const text = (id: string) => q(id)?.textContent ?? '';
const cpuText = (nodeId: string) => container.querySelector(`[data-testid=items] li[data-id="${nodeId}"]`)?.textContent ?? '';

function watchForBlank(): void {
  let drawn = false;
  const check = () => {
    const canvas = q('canvas');
    if (canvas && !q('error')) drawn = true;
    else if (drawn) blankMoments.push(`status=${text('status')} error=${text('error')} loading=${!!q('loading')}`);
  };
  observer = new MutationObserver(check);
  observer.observe(container, { childList: true, subtree: true, characterData: true, attributes: true });
}

const lastConnection = () => server!.connections[server!.connections.length - 1];
/** The page's origin, which the hook (given no options) talks to. */
const setPageUrl = (url: string) => (window as unknown as { happyDOM: { setURL(u: string): void } }).happyDOM.setURL(url);

function render(): void {
  root = createRoot(container);
  root.render(createElement(OriginalContractPage));
}

beforeEach(() => {
  reactErrors = [];
  blankMoments = [];
  container = document.createElement('div');
  document.body.appendChild(container);
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    reactErrors.push(args.map(String).join(' '));
  });
});

afterEach(async () => {
  observer?.disconnect();
  root?.unmount(); // the hook stops its client: no reconnects after the test
  root = null;
  container.remove();
  await server?.stop();
  server = null;
  vi.restoreAllMocks();
});

describe('useLivingMapFull as a drop-in for the original hook', () => {
  it('keeps the original page drawn and its badge truthful through a drop, a gap, a resync and a restart', async () => {
    server = await StreamServer.start();
    setPageUrl(server.url + '/map'); // no options: the hook talks to the page's origin
    render();
    watchForBlank();

    // connected: green badge, the map, the items, the sources
    await vi.waitFor(() => expect(text('status')).toBe('Connected'), WAIT);
    expect(q('status')!.className).toBe('green');
    await vi.waitFor(() => expect(q('canvas')).not.toBeNull(), WAIT);
    expect(cpuText('node:03')).toContain('CPU 10%');
    expect(text('sources')).toBe('Sources: city-service, space-service, agents-service');
    expect(q('error')).toBeNull();

    // live events move the map and "Last updated" (generated_at = the newest event's time)
    const t1 = server.publishCpu('node:03', 0.5, new Date(Date.now() + 60_000).toISOString());
    await vi.waitFor(() => expect(cpuText('node:03')).toContain('CPU 50%'), WAIT);
    expect(q('updated')!.getAttribute('data-generated-at')).toBe(t1);

    // 1. a stream drop: not green while down, the map stays, then a resume replays what was missed
    server.dropStreams();
    await vi.waitFor(() => expect(text('status')).toBe('Connecting...'), WAIT);
    server.publishCpu('node:03', 0.55);
    await vi.waitFor(() => expect(text('status')).toBe('Connected'), WAIT);
    await vi.waitFor(() => expect(cpuText('node:03')).toContain('CPU 55%'), WAIT);
    expect(lastConnection()).toMatchObject({ answer: 'replay', sinceSeq: '1' });

    // 2. a gap: one event never reaches the page; the client notices, resumes, and gets both
    server.loseNext = true;
    server.publishCpu('node:gpu-1', 0.61);
    server.publishCpu('node:03', 0.62);
    await vi.waitFor(() => expect(cpuText('node:gpu-1')).toContain('CPU 61%'), WAIT);
    await vi.waitFor(() => expect(cpuText('node:03')).toContain('CPU 62%'), WAIT);
    expect(lastConnection()).toMatchObject({ answer: 'replay', sinceSeq: '2' });

    // 3. a resync: what the page missed is no longer in the server's ring, so a fresh snapshot
    server.dropStreams();
    await vi.waitFor(() => expect(text('status')).not.toBe('Connected'), WAIT);
    server.cpu.set('node:03', 0.7);
    server.seq += 5;
    server.ring = [];
    await vi.waitFor(() => expect(cpuText('node:03')).toContain('CPU 70%'), WAIT);
    expect(lastConnection()).toMatchObject({ answer: 'resync', sinceSeq: '4' });
    await vi.waitFor(() => expect(text('status')).toBe('Connected'), WAIT);

    // 4. a restart: the service goes away (a reconnect is refused), comes back with a new epoch
    const port = server.port;
    await server.stop();
    const down = await downService(port);
    await vi.waitFor(() => expect(down.attempts()).toBeGreaterThanOrEqual(1), WAIT);
    expect(text('status')).toBe('Connecting...');
    expect(q('canvas')).not.toBeNull();
    expect(cpuText('node:03')).toContain('CPU 70%'); // the last known state, still shown
    await down.close();
    server = await StreamServer.start(port, 2);
    server.cpu.set('node:03', 0.8);
    await vi.waitFor(() => expect(cpuText('node:03')).toContain('CPU 80%'), WAIT);
    expect(server.connections[0]).toMatchObject({ answer: 'resync', epoch: 'epoch-1' });
    await vi.waitFor(() => expect(text('status')).toBe('Connected'), WAIT);
    const t2 = server.publishCpu('node:03', 0.85, new Date(Date.now() + 120_000).toISOString());
    await vi.waitFor(() => expect(cpuText('node:03')).toContain('CPU 85%'), WAIT);
    expect(q('updated')!.getAttribute('data-generated-at')).toBe(t2);

    expect(blankMoments).toEqual([]);
    expect(reactErrors.filter((e) => /React|Objects are not valid/.test(e))).toEqual([]);
  }, 30_000);

  it('with no service, shows the error as text (no crash), then the map once the service is up', async () => {
    // a port with nothing behind it yet
    const probe = await StreamServer.start();
    const port = probe.port;
    await probe.stop();
    const down = await downService(port);
    setPageUrl(`http://127.0.0.1:${port}/map`);
    render();
    await vi.waitFor(() => expect(q('error')).not.toBeNull(), WAIT);
    expect(text('error')).toContain(`WebSocket error on ws://127.0.0.1:${port}/living-map/stream`);
    expect(text('status')).toBe('Disconnected'); // the original page shows red for 'error'
    expect(q('canvas')).toBeNull();
    await down.close();
    server = await StreamServer.start(port);
    await vi.waitFor(() => expect(text('status')).toBe('Connected'), { timeout: 15_000, interval: 20 });
    await vi.waitFor(() => expect(q('canvas')).not.toBeNull(), WAIT);
    expect(q('error')).toBeNull();
    expect(reactErrors.filter((e) => /Objects are not valid/.test(e))).toEqual([]);
  }, 30_000);
});
