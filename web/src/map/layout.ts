/**
 * Deterministic, stable layouts for the four layers.
 *
 * Positions come from slots on a spiral (slot 0 at the origin; wide, 2:1, for the top level,
 * square inside a block), so a slot's position does not depend on how many entities there are: adding an
 * entity never moves another one. Slots are given in id order on a fresh layout and kept
 * from the previous layout on updates (a new entity takes the lowest free slot), so the
 * same data always gives the same picture and live changes never reshuffle it. Each slot is
 * a fixed cell and every entity is drawn inside its cell, so nothing overlaps.
 */
import type { AgentItem, LayerName, MicroDao, NodeItem, Planet, Snapshot, SpaceNode } from '@daarion/living-map-client';

export type ItemKind = 'district' | 'planet' | 'snode' | 'node' | 'agent';

export interface LayoutItem {
  id: string;
  kind: ItemKind;
  /** centre, world units */
  x: number;
  y: number;
  /** drawn extent: side of a square (district, node) or diameter (planet, snode, agent) */
  size: number;
  /** the entity from the snapshot */
  ref: Record<string, unknown>;
  /** cluster / planet this item belongs to */
  group?: string;
}

export interface Decoration {
  /** orbit: a ring; cluster: a circle with its name above; block: a square (half side r) with its name above */
  kind: 'orbit' | 'cluster' | 'block';
  id: string;
  x: number;
  y: number;
  r: number;
  label?: string;
}

/**
 * A group of items drawn as one aggregate when zoomed out (semantic zoom): agents of a
 * microDAO, nodes of an owner, a DAO planet with its orbiting nodes.
 */
export interface Group {
  id: string;
  x: number;
  y: number;
  /** radius enclosing every member, world units */
  r: number;
  label: string;
  members: LayoutItem[];
}

export interface Layout {
  layer: LayerName;
  items: LayoutItem[];
  /** groups for the zoomed-out view; empty when the layer draws its items at every zoom */
  groups: Map<string, Group>;
  byId: Map<string, LayoutItem>;
  decorations: Decoration[];
  bounds: { minX: number; minY: number; maxX: number; maxY: number };
  /** slot of each top-level id, and of each member inside a group (for stability) */
  slots: Map<string, number>;
  groupSlots: Map<string, Map<string, number>>;
  /** cell size of the top-level grid */
  cell: number;
  /** ids of the entities in snapshot order, to detect membership changes cheaply */
  signature: string[];
  /** the entity arrays this layout was last refreshed from (identity check: nothing changed) */
  sources?: readonly unknown[][];
  /** items whose entity changed in the last refresh, with the entity they had before */
  changed?: { item: LayoutItem; prev: Record<string, unknown> }[];
  /** bumped on every in-place refresh */
  version?: number;
  /** top-level slots on the wide spiral (a large layer), else the square one; kept on updates */
  wide?: boolean;
}

/** Column/row of a slot on the square spiral: 0 → (0,0), 1 → (1,0), 2 → (1,1), ... */
export function spiral(k: number): [number, number] {
  if (k === 0) return [0, 0];
  const r = Math.ceil((Math.sqrt(k + 1) - 1) / 2); // ring
  const side = 2 * r;
  const first = (2 * r - 1) * (2 * r - 1); // first slot index of ring r
  const t = k - first; // 0 .. 8r-1
  if (t < side) return [r, -r + 1 + t];
  if (t < 2 * side) return [r - 1 - (t - side), r];
  if (t < 3 * side) return [-r, r - 1 - (t - 2 * side)];
  return [-r + 1 + (t - 3 * side), -r];
}

/** cells of the wide spiral in slot order, extended ring by ring as slots are asked for */
const WIDE: [number, number][] = [[0, 0]];
let wideRings = 0;

/**
 * Column/row of a slot on a wide (2:1) spiral: ring R holds the cells within R rows and 2R
 * columns of the centre that ring R-1 does not, in order of angle. Like `spiral`, a slot's cell
 * does not depend on how many slots are used (the rings are fixed), so adding an entity never
 * moves another; but a fitted map fills a landscape screen instead of a square in its middle.
 */
export function wideSpiral(k: number): [number, number] {
  while (WIDE.length <= k) {
    const R = ++wideRings;
    const ring: [number, number][] = [];
    for (let r = -R; r <= R; r++) for (let c = -2 * R; c <= 2 * R; c++) if (Math.abs(r) === R || Math.abs(c) > 2 * (R - 1)) ring.push([c, r]);
    const angle = ([c, r]: [number, number]) => {
      const a = Math.atan2(r, c / 2);
      return a < 0 ? a + 2 * Math.PI : a;
    };
    ring.sort((a, b) => angle(a) - angle(b) || Math.abs(a[0]) - Math.abs(b[0]));
    for (const cell of ring) WIDE.push(cell);
  }
  return WIDE[k];
}

/**
 * A layer of this many entities is laid out on the wide spiral: fitted, it fills a landscape
 * screen. A small one (DAARION's size today) stays on the square spiral, fitted by its height:
 * opening a side panel does not shrink it (on the wide spiral it would be fitted by its width,
 * and a panel would zoom it out into groups).
 */
export const WIDE_FROM = 1000;
/** the top-level spiral of a layout: kept from `prev` (no reshuffle), else chosen by size */
function topSpiral(count: number, prev?: Layout): { wide: boolean; place: (k: number) => [number, number] } {
  const wide = prev ? prev.wide === true : count >= WIDE_FROM;
  return { wide, place: wide ? wideSpiral : spiral };
}

/** Keep previous slots; new ids (in id order) take the lowest free slots. */
export function assignSlots(ids: readonly string[], prev?: Map<string, number>, order?: (a: string, b: string) => number): Map<string, number> {
  const out = new Map<string, number>();
  const used = new Set<number>();
  const fresh: string[] = [];
  for (const id of ids) {
    const s = prev?.get(id);
    if (s !== undefined && !used.has(s)) {
      out.set(id, s);
      used.add(s);
    } else fresh.push(id);
  }
  fresh.sort(order ? (a, b) => order(a, b) || (a < b ? -1 : a > b ? 1 : 0) : undefined);
  let next = 0;
  for (const id of fresh) {
    while (used.has(next)) next++;
    out.set(id, next);
    used.add(next);
  }
  return out;
}

const num = (v: unknown, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' && Number.isFinite(+v) ? +v : d);
const clamp = (v: number, a: number, b: number) => Math.max(a, Math.min(b, v));
/** Cell sizes grow in powers of two so that a layout rescales rarely. */
const tier = (v: number, min: number) => Math.max(min, Math.pow(2, Math.ceil(Math.log2(Math.max(1, v)))));

export const CITY_CELL = 200;
export const NODE_CELL = 100;
export const AGENT_SPACING = 18;

export function districtSize(members: number): number {
  return Math.round(56 + 124 * clamp(Math.log10(1 + Math.max(0, members)) / 4, 0, 1)); // 56..180 < cell
}
export function nodeTileSize(n: NodeItem): number {
  const m = n.metrics ?? ({} as NodeItem['metrics']);
  const load = Math.max(num(m.cpu), num(m.gpu));
  return Math.round(64 + 24 * clamp(load, 0, 1)); // 64..88 < cell
}
export function agentSize(a: AgentItem): number {
  const tokens = num(a.usage?.tokens_24h);
  return Math.round(clamp(6 + 1.6 * Math.log10(1 + tokens), 6, 15)); // < spacing
}
export function planetSize(p: Planet): number {
  return Math.round(44 + 36 * clamp(Math.log10(1 + num(p.treasury_value)) / 8, 0, 1));
}

/** Sunflower (Vogel) position of slot k with spacing c: even density, any count. */
export function sunflower(k: number, c: number): [number, number] {
  const r = c * Math.sqrt(k + 0.5);
  const a = k * 2.399963229728653;
  return [r * Math.cos(a), r * Math.sin(a)];
}

function boundsOf(items: LayoutItem[], decos: Decoration[]): Layout['bounds'] {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const it of items) {
    const h = it.size / 2;
    if (it.x - h < minX) minX = it.x - h;
    if (it.y - h < minY) minY = it.y - h;
    if (it.x + h > maxX) maxX = it.x + h;
    if (it.y + h > maxY) maxY = it.y + h;
  }
  for (const d of decos) {
    if (d.x - d.r < minX) minX = d.x - d.r;
    if (d.y - d.r < minY) minY = d.y - d.r;
    if (d.x + d.r > maxX) maxX = d.x + d.r;
    if (d.y + d.r > maxY) maxY = d.y + d.r;
  }
  if (!Number.isFinite(minX)) return { minX: -100, minY: -100, maxX: 100, maxY: 100 };
  return { minX, minY, maxX, maxY };
}

function finish(layer: LayerName, items: LayoutItem[], decorations: Decoration[], slots: Map<string, number>, groupSlots: Map<string, Map<string, number>>, cell: number, signature: string[]): Layout {
  const byId = new Map<string, LayoutItem>();
  for (const it of items) if (!byId.has(it.id)) byId.set(it.id, it);
  return { layer, items, groups: new Map(), byId, decorations, bounds: boundsOf(items, decorations), slots, groupSlots, cell, signature };
}

/** Groups from the layout's cluster decorations and its items' `group`. */
function withGroups(l: Layout, circles: { id: string; x: number; y: number; r: number; label: string }[]): Layout {
  const groups = new Map<string, Group>();
  for (const c of circles) groups.set(c.id, { ...c, members: [] });
  for (const it of l.items) if (it.group) groups.get(it.group)?.members.push(it);
  l.groups = groups;
  return l;
}

// ---- city ---------------------------------------------------------------------------------

/** Above this many microDAOs the city is drawn as groups when zoomed out (semantic zoom). */
export const CITY_GROUP_ABOVE = 100;
/** microDAOs per group at most on a fresh layout: a size band is split into runs beyond it */
export const CITY_GROUP_MAX = 100;
/** lower edges of the size bands (members), 1-2-5 steps: a band is a range a reader can say */
const BAND_EDGES = [0, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

/** Size band of a microDAO by members: index into BAND_EDGES and its label ("20–49 members"). */
export function sizeBand(members: number): { index: number; label: string } {
  const m = Math.max(0, Math.floor(members));
  let i = 0;
  while (i + 1 < BAND_EDGES.length && m >= BAND_EDGES[i + 1]) i++;
  const lo = BAND_EDGES[i];
  const hi = BAND_EDGES[i + 1];
  const f = (n: number) => (n >= 10000 ? Math.floor(n / 1000) + 'k' : String(n));
  return { index: i, label: hi === undefined ? `${f(lo)}+ members` : `${f(lo)}–${f(hi - 1)} members` };
}

const byName = (a: MicroDao, b: MicroDao) => {
  const x = String(a.name ?? a.id).toLocaleLowerCase(), y = String(b.name ?? b.id).toLocaleLowerCase();
  return x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
};
const range = (lo: number, hi: number) => (lo === hi ? `${lo} member${lo === 1 ? '' : 's'}` : `${lo}–${hi} members`);

/**
 * Which group each microDAO belongs to: its size band (members, 1-2-5 steps), and within a band
 * that holds more than CITY_GROUP_MAX, runs of nearby sizes ("13–15 members") cut where the
 * member count changes, so that a group stays small enough to read once opened and its label
 * says exactly what it holds. Assignments in `prev` are kept (a microDAO does not jump between
 * groups when its members change; a fresh layout places it by its size again); a new microDAO
 * joins the run of its band whose sizes are nearest its own. Returns id → group id and labels.
 */
export function cityGroups(items: MicroDao[], prev?: Map<string, string>): { of: Map<string, string>; labels: Map<string, string> } {
  const of = new Map<string, string>();
  const kept = new Map<string, MicroDao[]>();
  const add = (g: string, m: MicroDao) => {
    of.set(m.id, g);
    let a = kept.get(g);
    if (!a) kept.set(g, (a = []));
    a.push(m);
  };
  const fresh: MicroDao[] = [];
  for (const m of items) {
    const g = prev?.get(m.id);
    if (g !== undefined) add(g, m);
    else fresh.push(m);
  }
  const size = (m: MicroDao) => Math.max(0, Math.floor(num(m.members)));
  const bands = new Map<number, MicroDao[]>();
  for (const m of fresh) {
    const b = sizeBand(size(m)).index;
    let a = bands.get(b);
    if (!a) bands.set(b, (a = []));
    a.push(m);
  }
  for (const [b, arr] of bands) {
    arr.sort((x, y) => size(x) - size(y) || byName(x, y));
    const runs = [...kept.keys()].filter((g) => g.startsWith(`band:${b}:`));
    if (runs.length) {
      // the band's runs exist (kept from prev): join the one whose sizes are nearest
      const span = new Map(runs.map((g) => [g, kept.get(g)!.reduce(([lo, hi], m) => [Math.min(lo, size(m)), Math.max(hi, size(m))], [Infinity, -Infinity])]));
      for (const m of arr) {
        const v = size(m);
        let best = runs[0], bestD = Infinity;
        for (const g of runs) {
          const [lo, hi] = span.get(g)!;
          const d = v < lo ? lo - v : v > hi ? v - hi : 0;
          if (d < bestD || (d === bestD && kept.get(g)!.length < kept.get(best)!.length)) {
            best = g;
            bestD = d;
          }
        }
        add(best, m);
      }
      continue;
    }
    // runs near `want` long, cut only between two sizes (a run's label is then exact), never
    // longer than CITY_GROUP_MAX (one size held by more is cut anyway, in name order)
    const want = Math.ceil(arr.length / Math.ceil(arr.length / CITY_GROUP_MAX));
    let run = 0, inRun = 0;
    for (let k = 0; k < arr.length; k++) {
      let cut = inRun >= CITY_GROUP_MAX;
      if (!cut && inRun > 0 && size(arr[k]) !== size(arr[k - 1])) {
        const block = countFrom(arr, k, size);
        cut = inRun + block > CITY_GROUP_MAX || Math.abs(inRun - want) < Math.abs(inRun + block - want);
      }
      if (cut) {
        run++;
        inRun = 0;
      }
      add(`band:${b}:${run}`, arr[k]);
      inRun++;
    }
  }
  const labels = new Map<string, string>();
  const runsOf = new Map<number, number>();
  for (const g of kept.keys()) {
    const b = Number(g.split(':')[1]);
    runsOf.set(b, (runsOf.get(b) ?? 0) + 1);
  }
  for (const [g, arr] of kept) {
    const b = Number(g.split(':')[1]);
    if ((runsOf.get(b) ?? 0) < 2) labels.set(g, sizeBand(BAND_EDGES[b]).label);
    else {
      let lo = Infinity, hi = -Infinity;
      for (const m of arr) {
        lo = Math.min(lo, size(m));
        hi = Math.max(hi, size(m));
      }
      labels.set(g, range(lo, hi));
    }
  }
  return { of, labels };
}

/** how many in a size-sorted array from index k on share arr[k]'s size */
function countFrom(arr: MicroDao[], k: number, size: (m: MicroDao) => number): number {
  let n = 0;
  const v = size(arr[k]);
  for (let i = k; i < arr.length && size(arr[i]) === v; i++) n++;
  return n;
}

/** odd number of cells across a square spiral holding `count` slots */
const spiralSide = (count: number) => 2 * Math.ceil((Math.sqrt(Math.max(1, count)) - 1) / 2) + 1;

export function layoutCity(items: MicroDao[], prev?: Layout): Layout {
  const ids = items.map((m) => m.id);
  const { wide, place } = topSpiral(items.length, prev);
  const members = new Map(items.map((m) => [m.id, num(m.members)]));
  const bySize = (a: string, b: string) => members.get(b)! - members.get(a)!;
  if (items.length <= CITY_GROUP_ABOVE) {
    // the largest microDAOs in the middle on a fresh layout; kept where they are afterwards
    const slots = assignSlots(ids, prev?.groups.size ? undefined : prev?.slots, bySize);
    const out: LayoutItem[] = items.map((m) => {
      const [c, r] = place(slots.get(m.id)!);
      return { id: m.id, kind: 'district', x: c * CITY_CELL, y: r * CITY_CELL, size: districtSize(num(m.members)), ref: m as never };
    });
    return { ...finish('city', out, [], slots, new Map(), CITY_CELL, ids), wide };
  }
  // Many microDAOs: a block per group, the biggest sizes in the middle and the smaller ones
  // around it in order; each block a square spiral of districts around its centre (biggest in
  // the middle), like the nodes' blocks by owner.
  const prevOf = new Map<string, string>();
  if (prev?.groups.size) for (const it of prev.items) if (it.group) prevOf.set(it.id, it.group);
  const { of, labels } = cityGroups(items, prevOf);
  const groups = new Map<string, MicroDao[]>();
  for (const m of items) {
    const g = of.get(m.id)!;
    let a = groups.get(g);
    if (!a) groups.set(g, (a = []));
    a.push(m);
  }
  const keys = [...groups.keys()];
  const bandOf = (g: string) => Number(g.split(':')[1]);
  const runOf = (g: string) => Number(g.split(':')[2]);
  const slots = assignSlots(keys, prev?.groups.size ? prev.slots : undefined, (a, b) => bandOf(b) - bandOf(a) || runOf(b) - runOf(a));
  // inner slots first: the cell fits the fullest block (slots kept from prev can leave holes)
  const groupSlots = new Map<string, Map<string, number>>();
  let maxSlots = 1;
  for (const [g, arr] of groups) {
    const inner = assignSlots(
      arr.map((m) => m.id),
      prev?.groupSlots.get(g),
      bySize,
    );
    groupSlots.set(g, inner);
    for (const k of inner.values()) maxSlots = Math.max(maxSlots, k + 1);
  }
  // one empty cell between blocks; blocks grow only when a group outgrows its odd square
  const cell = (spiralSide(maxSlots) + 1) * CITY_CELL;
  const out: LayoutItem[] = [];
  const decos: Decoration[] = [];
  const circles: { id: string; x: number; y: number; r: number; label: string }[] = [];
  for (const [g, arr] of groups) {
    const [c, r] = place(slots.get(g)!);
    const cx = c * cell;
    const cy = r * cell;
    const inner = groupSlots.get(g)!;
    let maxSlot = 0;
    for (const m of arr) {
      const k = inner.get(m.id)!;
      if (k > maxSlot) maxSlot = k;
      const [dx, dy] = spiral(k);
      out.push({ id: m.id, kind: 'district', x: cx + dx * CITY_CELL, y: cy + dy * CITY_CELL, size: districtSize(num(m.members)), ref: m as never, group: g });
    }
    // the disc inscribed in the block: discs of neighbouring blocks never touch
    const half = (spiralSide(maxSlot + 1) * CITY_CELL) / 2;
    circles.push({ id: g, x: cx, y: cy, r: half, label: labels.get(g) ?? g });
    // opened, the block keeps its outline and name ("13–15 members"): where am I in the city
    decos.push({ kind: 'block', id: g, x: cx, y: cy, r: half, label: labels.get(g) ?? g });
  }
  return withGroups({ ...finish('city', out, decos, slots, groupSlots, cell, ids), wide }, circles);
}

// ---- nodes --------------------------------------------------------------------------------

export const NO_OWNER = '~no-owner';

/**
 * Nodes in blocks by owning microDAO: each block a square spiral of tiles around its centre,
 * blocks on the big spiral (the biggest owner in the middle on a fresh layout).
 */
export function layoutNodes(items: NodeItem[], prev?: Layout, microdaos: MicroDao[] = []): Layout {
  const { wide, place } = topSpiral(items.length, prev);
  const groups = new Map<string, NodeItem[]>();
  for (const n of items) {
    const g = n.microdao_id ? String(n.microdao_id) : NO_OWNER;
    let arr = groups.get(g);
    if (!arr) groups.set(g, (arr = []));
    arr.push(n);
  }
  const keys = [...groups.keys()];
  const size = (g: string) => groups.get(g)!.length;
  const slots = assignSlots(keys, prev?.slots, (a, b) => size(b) - size(a));
  let maxCount = 1;
  for (const arr of groups.values()) maxCount = Math.max(maxCount, arr.length);
  const side = (count: number) => 2 * Math.ceil((Math.sqrt(Math.max(1, count)) - 1) / 2) + 1; // tiles across the block
  const cell = tier(side(maxCount) * NODE_CELL + NODE_CELL, 256);
  const names = new Map(microdaos.map((m) => [m.id, m.name]));
  const groupSlots = new Map<string, Map<string, number>>();
  const out: LayoutItem[] = [];
  const decos: Decoration[] = [];
  for (const [g, arr] of groups) {
    const [c, r] = place(slots.get(g)!);
    const cx = c * cell;
    const cy = r * cell;
    const inner = assignSlots(arr.map((n) => n.id), prev?.groupSlots.get(g));
    groupSlots.set(g, inner);
    let maxSlot = 0;
    for (const n of arr) {
      const k = inner.get(n.id)!;
      if (k > maxSlot) maxSlot = k;
      const [dx, dy] = spiral(k);
      out.push({ id: n.id, kind: 'node', x: cx + dx * NODE_CELL, y: cy + dy * NODE_CELL, size: nodeTileSize(n), ref: n as never, group: g });
    }
    const label = g === NO_OWNER ? 'no owner' : names.get(g) ?? g.replace(/^microdao:/, '');
    decos.push({ kind: 'cluster', id: g, x: cx, y: cy, r: (side(maxSlot + 1) * NODE_CELL * Math.SQRT2) / 2, label });
  }
  const l = { ...finish('nodes', out, decos, slots, groupSlots, cell, items.map((n) => n.id + '@' + (n.microdao_id ?? ''))), wide };
  return withGroups(l, decos.map((d) => ({ id: d.id, x: d.x, y: d.y, r: d.r, label: d.label! })));
}

// ---- agents -------------------------------------------------------------------------------

export const NO_MICRODAO = '~unassigned';

export function clusterRadius(count: number): number {
  return AGENT_SPACING * Math.sqrt(Math.max(1, count) + 0.5) + AGENT_SPACING;
}

export function layoutAgents(items: AgentItem[], microdaos: MicroDao[], prev?: Layout): Layout {
  const { wide, place } = topSpiral(items.length, prev);
  const groups = new Map<string, AgentItem[]>();
  for (const a of items) {
    const g = a.microdao_id ? String(a.microdao_id) : NO_MICRODAO;
    let arr = groups.get(g);
    if (!arr) groups.set(g, (arr = []));
    arr.push(a);
  }
  const keys = [...groups.keys()];
  const slots = assignSlots(keys, prev?.slots, (a, b) => groups.get(b)!.length - groups.get(a)!.length);
  let maxCount = 1;
  for (const arr of groups.values()) maxCount = Math.max(maxCount, arr.length);
  const cell = tier(2 * clusterRadius(maxCount) + 80, 256);
  const names = new Map(microdaos.map((m) => [m.id, m.name]));
  const groupSlots = new Map<string, Map<string, number>>();
  const out: LayoutItem[] = [];
  const decos: Decoration[] = [];
  for (const [g, arr] of groups) {
    const [c, r] = place(slots.get(g)!);
    const cx = c * cell;
    const cy = r * cell;
    const inner = assignSlots(arr.map((a) => a.id), prev?.groupSlots.get(g));
    groupSlots.set(g, inner);
    let maxSlot = 0;
    for (const a of arr) {
      const k = inner.get(a.id)!;
      if (k > maxSlot) maxSlot = k;
      const [dx, dy] = sunflower(k, AGENT_SPACING);
      out.push({ id: a.id, kind: 'agent', x: cx + dx, y: cy + dy, size: agentSize(a), ref: a as never, group: g });
    }
    const label = g === NO_MICRODAO ? 'no microDAO' : names.get(g) ?? g.replace(/^microdao:/, '');
    decos.push({ kind: 'cluster', id: g, x: cx, y: cy, r: clusterRadius(maxSlot + 1), label });
  }
  const l = { ...finish('agents', out, decos, slots, groupSlots, cell, items.map((a) => a.id + '@' + (a.microdao_id ?? ''))), wide };
  return withGroups(l, decos.map((d) => ({ id: d.id, x: d.x, y: d.y, r: d.r, label: d.label! })));
}

// ---- space --------------------------------------------------------------------------------

export const ORBIT_GAP = 30;
export const ORBIT_SLOT = 28;
export const FREE_NODES = '~free-nodes';

/** Radius of orbit ring j around a planet of diameter d, and how many nodes it holds. */
export function ring(j: number, planetDiameter: number): { radius: number; capacity: number } {
  const radius = planetDiameter / 2 + ORBIT_GAP + j * ORBIT_SLOT;
  return { radius, capacity: Math.max(6, Math.floor((2 * Math.PI * radius) / ORBIT_SLOT)) };
}

function orbitPosition(slot: number, d: number): { x: number; y: number; ring: number; radius: number } {
  let j = 0;
  let s = slot;
  for (;;) {
    const { radius, capacity } = ring(j, d);
    if (s < capacity) {
      const a = (s / capacity) * Math.PI * 2 + j * 0.37 - Math.PI / 2;
      return { x: Math.cos(a) * radius, y: Math.sin(a) * radius, ring: j, radius };
    }
    s -= capacity;
    j++;
  }
}

export function systemRadius(count: number, d: number): number {
  if (count === 0) return d / 2 + 20;
  return orbitPosition(count - 1, d).radius + ORBIT_SLOT / 2 + 8;
}

export function layoutSpace(planets: Planet[], nodes: SpaceNode[], prev?: Layout): Layout {
  const { wide, place } = topSpiral(planets.length + nodes.length, prev);
  const nodeById = new Map(nodes.map((n) => [n.id, n]));
  const placed = new Set<string>();
  const systems: { id: string; planet?: Planet; members: SpaceNode[] }[] = [];
  for (const p of planets) {
    const members: SpaceNode[] = [];
    for (const nid of p.orbits ?? []) {
      const n = nodeById.get(nid);
      if (n && !placed.has(nid)) {
        placed.add(nid);
        members.push(n);
      }
    }
    systems.push({ id: p.id, planet: p, members });
  }
  const free = nodes.filter((n) => !placed.has(n.id));
  if (free.length) systems.push({ id: FREE_NODES, members: free });

  const keys = systems.map((s) => s.id);
  const slots = assignSlots(keys, prev?.slots);
  let maxR = 60;
  for (const s of systems) {
    const d = s.planet ? 80 : 24; // size the cell for the largest planet
    maxR = Math.max(maxR, systemRadius(s.members.length, d));
  }
  const cell = tier(2 * maxR + 60, 320);
  const out: LayoutItem[] = [];
  const decos: Decoration[] = [];
  const groupSlots = new Map<string, Map<string, number>>();
  const systemsOut: { id: string; x: number; y: number; r: number; label: string }[] = [];
  for (const s of systems) {
    const [c, r] = place(slots.get(s.id)!);
    const cx = c * cell;
    const cy = r * cell;
    const d = s.planet ? 80 : 24; // orbits are spaced for the largest planet, so they never move
    if (s.planet) out.push({ id: s.id, kind: 'planet', x: cx, y: cy, size: planetSize(s.planet), ref: s.planet as never, group: s.id });
    systemsOut.push({ id: s.id, x: cx, y: cy, r: systemRadius(s.members.length, d), label: s.planet ? String(s.planet.name ?? s.id) : 'nodes without a DAO' });
    const inner = assignSlots(s.members.map((n) => n.id), prev?.groupSlots.get(s.id));
    groupSlots.set(s.id, inner);
    let rings = 0;
    for (const n of s.members) {
      const pos = orbitPosition(inner.get(n.id)!, d);
      rings = Math.max(rings, pos.ring + 1);
      out.push({ id: n.id, kind: 'snode', x: cx + pos.x, y: cy + pos.y, size: 16, ref: n as never, group: s.id });
    }
    for (let j = 0; j < rings; j++) decos.push({ kind: 'orbit', id: s.id, x: cx, y: cy, r: ring(j, d).radius });
    if (!s.planet) decos.push({ kind: 'cluster', id: s.id, x: cx, y: cy, r: systemRadius(s.members.length, d), label: 'nodes without a DAO' });
  }
  const sig = planets.map((p) => p.id + '[' + (p.orbits ?? []).join(',') + ']').concat(nodes.map((n) => n.id));
  return withGroups({ ...finish('space', out, decos, slots, groupSlots, cell, sig), wide }, systemsOut);
}

// ---- all layers ---------------------------------------------------------------------------

/** The arrays a layer draws from. */
function sourcesOf(layer: LayerName, s: Snapshot): unknown[][] {
  const L = s.layers;
  switch (layer) {
    case 'city':
      return [L.city?.items ?? []];
    case 'nodes':
      return [L.nodes?.items ?? [], L.city?.items ?? []];
    case 'agents':
      return [L.agents?.items ?? [], L.city?.items ?? []];
    case 'space':
      return [L.space?.planets ?? [], L.space?.nodes ?? []];
  }
}

/** Same membership as the layout's signature, checked without allocating. */
function sameMembers(layer: LayerName, s: Snapshot, sig: string[]): boolean {
  const L = s.layers;
  let i = 0;
  const eq = (v: string) => sig[i++] === v;
  switch (layer) {
    case 'city': {
      const a = L.city?.items ?? [];
      if (a.length !== sig.length) return false;
      for (const e of a) if (!eq(e.id)) return false;
      return true;
    }
    case 'nodes': {
      const a = L.nodes?.items ?? [];
      if (a.length !== sig.length) return false;
      for (const e of a) if (!eq(e.id + '@' + (e.microdao_id ?? ''))) return false;
      return true;
    }
    case 'agents': {
      const a = L.agents?.items ?? [];
      if (a.length !== sig.length) return false;
      for (const e of a) if (!eq(e.id + '@' + (e.microdao_id ?? ''))) return false;
      return true;
    }
    case 'space': {
      const p = L.space?.planets ?? [];
      const n = L.space?.nodes ?? [];
      if (p.length + n.length !== sig.length) return false;
      for (const e of p) if (!eq(e.id + '[' + (e.orbits ?? []).join(',') + ']')) return false;
      for (const e of n) if (!eq(e.id)) return false;
      return true;
    }
  }
}

function resize(it: LayoutItem): number {
  switch (it.kind) {
    case 'district':
      return districtSize(num((it.ref as MicroDao).members));
    case 'node':
      return nodeTileSize(it.ref as never);
    case 'agent':
      return agentSize(it.ref as never);
    case 'planet':
      return planetSize(it.ref as never);
    default:
      return it.size;
  }
}

/**
 * Layout of a layer for a snapshot. When the layer's membership is unchanged since `prev`,
 * `prev` itself is refreshed in place (entity references and sizes; `changed` lists what
 * moved) and returned, so a stream of metric events costs one pass and no allocation per
 * entity. When the layer's arrays are the very same objects, nothing is done at all.
 */
export function layoutLayer(layer: LayerName, s: Snapshot, prev?: Layout): Layout {
  const usable = prev && prev.layer === layer ? prev : undefined;
  const sources = sourcesOf(layer, s);
  if (usable) {
    if (usable.sources && usable.sources.length === sources.length && usable.sources.every((a, i) => a === sources[i])) {
      usable.changed = [];
      return usable;
    }
    if (sameMembers(layer, s, usable.signature)) {
      const changed: Layout['changed'] = [];
      const byId = usable.byId;
      const refresh = (e: Record<string, unknown>) => {
        const it = byId.get(String(e.id));
        if (!it || it.ref === e) return;
        changed.push({ item: it, prev: it.ref });
        it.ref = e;
        it.size = resize(it);
      };
      for (const src of sources.slice(0, layer === 'agents' || layer === 'nodes' ? 1 : sources.length)) for (const e of src) refresh(e as Record<string, unknown>);
      usable.changed = changed;
      usable.sources = sources;
      usable.version = (usable.version ?? 0) + 1;
      return usable;
    }
  }
  const L = s.layers;
  let out: Layout;
  switch (layer) {
    case 'city':
      out = layoutCity(L.city?.items ?? [], usable);
      break;
    case 'nodes':
      out = layoutNodes(L.nodes?.items ?? [], usable, L.city?.items ?? []);
      break;
    case 'agents':
      out = layoutAgents(L.agents?.items ?? [], L.city?.items ?? [], usable);
      break;
    case 'space':
      out = layoutSpace(L.space?.planets ?? [], L.space?.nodes ?? [], usable);
      break;
  }
  out.sources = sources;
  return out;
}
