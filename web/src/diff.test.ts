import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppConfig } from './config';
import { countOf, diffMarks, fetchDiff, MAX_ENTRIES, normalise } from './diff';

const config = { baseUrl: 'http://svc', apiPrefix: '/living-map' } as AppConfig;
const range = { from: '2026-12-07T10:00:00.000Z', to: '2026-12-07T10:05:00.000Z' };

/** A service with `n` changed entities, served in pages of `per` after the cursor. */
function service(n: number, per: number, added = 0) {
  const ids = Array.from({ length: n }, (_, i) => `node:n${String(i).padStart(6, '0')}`);
  const asked: URL[] = [];
  vi.stubGlobal('fetch', async (url: string) => {
    const u = new URL(url);
    asked.push(u);
    const cursor = u.searchParams.get('cursor');
    const start = cursor === null ? 0 : ids.indexOf(cursor) + 1;
    const page = ids.slice(start, start + per);
    const more = start + per < n;
    const body = {
      from: {},
      to: {},
      added: cursor === null ? Array.from({ length: added }, (_, i) => ({ id: `agent:new${i}`, type: 'agent' })) : [],
      removed: [],
      changed: page.map((id) => ({ id, type: 'node', fields: { 'metrics.cpu': { from: 0.1, to: 0.2 } } })),
      counts: { added, removed: 0, changed: n, total: n + added },
      has_more: more,
      ...(more ? { next_cursor: page[page.length - 1] } : {}),
    };
    return { ok: true, status: 200, json: async () => body } as Response;
  });
  return asked;
}

afterEach(() => vi.unstubAllGlobals());

describe('what changed: the whole diff, not its first page', () => {
  it('follows next_cursor until the service has no more, so the map marks every entity', async () => {
    const asked = service(12_345, 5000, 3);
    const pages: number[] = [];
    const d = await fetchDiff(config, range, undefined, (p) => pages.push(p.changed.length));
    expect(d.changed).toHaveLength(12_345);
    expect(d.added).toHaveLength(3);
    expect(d.complete).toBe(true);
    expect(d.total).toBe(12_348);
    expect(diffMarks(d).size).toBe(12_348);
    expect(pages).toEqual([5000, 10_000]);
    expect(asked.map((u) => u.searchParams.get('cursor'))).toEqual([null, 'node:n004999', 'node:n009999']);
    expect(asked.every((u) => u.searchParams.get('from') === range.from && u.searchParams.get('to') === range.to)).toBe(true);
  });

  it('stops at its bound and says the diff is not all held; the counts stay the service\'s', async () => {
    service(MAX_ENTRIES + 7_000, 5000);
    const d = await fetchDiff(config, range);
    expect(d.complete).toBe(false);
    expect(d.changed).toHaveLength(MAX_ENTRIES);
    expect(countOf(d, 'changed')).toBe(MAX_ENTRIES + 7_000);
    expect(d.total).toBe(MAX_ENTRIES + 7_000);
  });

  it('a cursor that does not move on ends the paging', async () => {
    vi.stubGlobal('fetch', async () => ({ ok: true, status: 200, json: async () => ({ changed: [{ id: 'node:a', fields: {} }], counts: { changed: 9, total: 9 }, has_more: true, next_cursor: 'node:a' }) }) as unknown as Response);
    const d = await fetchDiff(config, range);
    expect(d.changed.length).toBeLessThanOrEqual(2);
    expect(d.complete).toBe(false);
  });

  it('hostile counts do not replace what is held', () => {
    const d = normalise({ changed: [{ id: 'node:a', fields: {} }], counts: { changed: -5, total: 'many' } });
    expect(countOf(d, 'changed')).toBe(1);
    expect(d.total).toBe(1);
  });
});
