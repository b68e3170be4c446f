/**
 * Canvas 2D renderer of one layout. Draws only when something changed (requestAnimationFrame
 * on demand), culls what is off screen, batches shapes of one colour into one Path2D fill,
 * and drops detail (labels, bars, outlines) when entities are small on screen.
 */
import type { Group, Layout, LayoutItem } from './layout';
import * as C from './colors';
import { badgeOf, severityColor, severityRank } from '../alerts';

const NO_FILTER: ReadonlySet<string> = new Set();

export interface View {
  /** world point at the centre of the canvas */
  x: number;
  y: number;
  /** screen pixels per world unit */
  zoom: number;
}

interface Transition {
  from: Record<string, unknown>;
  start: number;
}
interface Pulse {
  start: number;
  color: string;
}

const PULSE_MS = 1400;
const ALERT_FLASH_MS = 1600;
const MAX_PULSES = 40;
const TRANSITION_MS = 700;
const MIN_ZOOM = 0.002;
const MAX_ZOOM = 40;

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const metric = (ref: Record<string, unknown>, k: 'cpu' | 'gpu' | 'ram') => {
  const m = ref.metrics as Record<string, unknown> | undefined;
  if (m) return num(m[k]);
  return num(ref[k === 'ram' ? 'memory' : k]);
};
const easeOut = (t: number) => 1 - Math.pow(1 - t, 3);

interface LabelReq {
  id: string;
  text: string;
  x: number;
  y: number;
  size: number;
  color: string;
  weight: number;
  /** higher is placed first */
  prio: number;
  /** the label is left out when its whole text is wider than this */
  maxWidth?: number;
}
/**
 * Semantic zoom: a layer with groups draws them as aggregates while its typical entity would be
 * smaller than this many screen pixels (its world size below), and its entities from there on.
 */
const AGGREGATE_BELOW_PX: Record<string, number> = { agents: 7, nodes: 14, space: 8, city: 16 };
const TYPICAL_SIZE: Record<string, number> = { agents: 10, nodes: 76, space: 16, city: 100 };

/** What a group's aggregate shows: how many, how they are, what is wrong. */
export interface GroupStats {
  count: number;
  offline: number;
  /** status warning */
  warning: number;
  /** load above HOT (nodes) */
  hot: number;
  online: number;
  /** mean load of the members that report one (nodes), or -1 */
  load: number;
  firing: number;
  /** most severe firing alert shown, or null */
  severity: string | null;
}
const HOT = 0.85;
/** group discs up to this screen radius are drawn from sprites, larger ones as paths */
const SPRITE_MAX_R = 48;
/** above this many groups on screen only the groups that need attention are named */
const CROWDED_GROUPS = 150;

/** screen pixels an entity needs to be easy to hit */
const HIT_PX = 12;
/** the world span kept around an entity when the map flies to it (context, per layer) */
const CONTEXT_SPAN: Record<string, number> = { city: 900, nodes: 560, agents: 420, space: 700 };

export class MapRenderer {
  readonly canvas: HTMLCanvasElement;
  /** where the scene is drawn: the base canvas (everything but pulses) */
  private ctx: CanvasRenderingContext2D;
  /** the visible canvas: the base copied in, pulses on top */
  private screen: CanvasRenderingContext2D;
  private base: HTMLCanvasElement;
  /** the base must be drawn again (view, data, selection...); pulses alone only recomposite */
  private baseDirty = true;
  /** the view the base was drawn for (null: none usable), when, and how long it took */
  private baseView: View | null = null;
  private baseAt = 0;
  private baseMs = 0;
  layout: Layout | null = null;
  view: View = { x: 0, y: 0, zoom: 1 };
  selected: string | null = null;
  hover: string | null = null;
  highlightGroup: string | null = null;
  private dpr = 1;
  private w = 0;
  private h = 0;
  private raf = 0;
  private pulses = new Map<string, Pulse>();
  private transitions = new Map<string, Transition>();
  private flight: { from: View; to: View; start: number; ms: number } | null = null;
  /** frames drawn, time of the last draw, for the status bar and the benchmark */
  stats = { frames: 0, baseDraws: 0, lastDrawMs: 0, drawnItems: 0, firstDrawAt: 0, firstFrameAt: 0, labelsAt: 0 };
  /** the first frame was drawn without its labels: the next full draw adds them */
  private labelsPending = false;
  private labelsDue = false;
  onViewChange: ((v: View) => void) | null = null;
  onFirstDraw: (() => void) | null = null;
  /** severities whose alert badges are not drawn (the alerts panel's filter) */
  hiddenSeverities: ReadonlySet<string> = new Set();
  /** alert badges of the last frame, in page-independent canvas pixels (for tests and hit checks) */
  badges: { id: string; severity: string; count: number; x: number; y: number; r: number }[] = [];
  /** the "what changed" view: entities to ring, and in which colour */
  diffMarks: ReadonlyMap<string, string> = new Map();
  diffColors: Record<string, string> = {};
  /** members drawn over their aggregated group because they need attention (city), last frame */
  attention: { id: string; status: string; severity: string | null; x: number; y: number }[] = [];
  /** alert badges of groups drawn as aggregates in the last frame */
  groupBadges: { id: string; severity: string; count: number; x: number; y: number; r: number }[] = [];
  private alertFlashes = new Map<string, number>();
  /** group disc sprites by colour, radius and pixel ratio */
  private sprites = new Map<string, HTMLCanvasElement>();
  /** canvas pixels covered by overlays (panels, banner, legend): fit and centre keep clear of them */
  insets = { left: 0, top: 0, right: 0, bottom: 0 };
  /** the view was fitted and not moved by the user since: a resize fits again */
  fitted = false;
  /** event pulses are drawn (off in time travel, where a ring would say nothing about now) */
  pulsesEnabled = true;
  /** labels drawn in the last frame, in canvas pixels (for tests): text is always whole */
  labels: { id: string; text: string; x: number; y: number; w: number; h: number }[] = [];
  private labelQueue: LabelReq[] = [];
  private widths = new Map<string, number>();
  private measureCtx: CanvasRenderingContext2D;
  private measureWeight = -1;
  private groupStats: { layout: Layout | null; version: number; hidden: ReadonlySet<string> | null; stats: Map<string, GroupStats> } = { layout: null, version: -1, hidden: null, stats: new Map() };

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('canvas 2d not available');
    this.screen = ctx;
    // the scene is cached in a second canvas: at thousands of events a second the rings
    // animate every frame while the scene itself changes ten times a second
    this.base = document.createElement('canvas');
    const b = this.base.getContext('2d', { alpha: false });
    if (!b) throw new Error('canvas 2d not available');
    this.ctx = b;
    const m = document.createElement('canvas').getContext('2d');
    if (!m) throw new Error('canvas 2d not available');
    this.measureCtx = m;
  }

  resize(width: number, height: number): void {
    this.dpr = Math.min(2, window.devicePixelRatio || 1);
    this.w = Math.max(1, Math.floor(width));
    this.h = Math.max(1, Math.floor(height));
    this.canvas.width = Math.floor(this.w * this.dpr);
    this.canvas.height = Math.floor(this.h * this.dpr);
    this.canvas.style.width = this.w + 'px';
    this.canvas.style.height = this.h + 'px';
    this.base.width = this.canvas.width;
    this.base.height = this.canvas.height;
    this.baseView = null;
    if (this.fitted && this.layout) this.setView(this.fitView());
    this.requestDraw();
  }

  setInsets(i: { left: number; top: number; right: number; bottom: number }): void {
    const o = this.insets;
    if (o.left === i.left && o.top === i.top && o.right === i.right && o.bottom === i.bottom) return;
    this.insets = { ...i };
    if (this.fitted && this.layout) this.flyTo(this.fitView(), 300);
  }

  /** canvas point at the centre of the area no overlay covers */
  safeCentre(): [number, number] {
    const i = this.insets;
    return [i.left + (this.w - i.left - i.right) / 2, i.top + (this.h - i.top - i.bottom) / 2];
  }
  /** a fly-to animation is under way */
  get flying(): boolean {
    return this.flight !== null;
  }
  get width() {
    return this.w;
  }
  get height() {
    return this.h;
  }

  setLayout(layout: Layout | null): void {
    const old = this.layout;
    const now = performance.now();
    const track = (id: string, prevRef: Record<string, unknown>) => {
      const tr = this.transitions.get(id);
      this.transitions.set(id, { from: tr ? this.blend(tr, prevRef, now) : prevRef, start: now });
    };
    if (old && layout && old === layout) {
      // refreshed in place: the layout says what changed
      for (const c of layout.changed ?? []) if (c.item.kind === 'node' || c.item.kind === 'snode') track(c.item.id, c.prev);
      if (!layout.changed?.length) return;
    } else if (old && layout && old.layer === layout.layer) {
      for (const it of layout.items) {
        if (it.kind !== 'node' && it.kind !== 'snode') continue;
        const prev = old.byId.get(it.id);
        if (prev && prev.ref !== it.ref) track(it.id, prev.ref);
      }
    } else {
      this.transitions.clear();
      this.pulses.clear();
    }
    this.layout = layout;
    this.requestDraw();
  }

  /** a frozen copy of the interpolated metrics, so a transition can start mid-way */
  private blend(tr: Transition, to: Record<string, unknown>, now: number): Record<string, unknown> {
    const t = easeOut(Math.min(1, (now - tr.start) / TRANSITION_MS));
    const f = (k: 'cpu' | 'gpu' | 'ram') => metric(tr.from, k) + (metric(to, k) - metric(tr.from, k)) * t;
    return { metrics: { cpu: f('cpu'), gpu: f('gpu'), ram: f('ram') }, status: to.status };
  }

  pulse(id: string, color: string): void {
    if (!this.pulsesEnabled || !this.layout?.byId.has(id)) return;
    this.pulses.delete(id); // re-insert: the map keeps insertion order, oldest first
    this.pulses.set(id, { start: performance.now(), color });
    // a wall of rings helps nobody and costs raster time: keep the most recent ones
    if (this.pulses.size > MAX_PULSES) {
      for (const k of this.pulses.keys()) {
        this.pulses.delete(k);
        if (this.pulses.size <= MAX_PULSES) break;
      }
    }
    this.requestDraw(false);
  }

  /** An alert fired on an entity: its badge bounces and rings for a moment. */
  alertFired(id: string): void {
    if (!this.layout?.byId.has(id)) return;
    this.alertFlashes.set(id, performance.now());
    this.requestDraw();
  }

  setDiffMarks(marks: ReadonlyMap<string, string>, colors: Record<string, string>): void {
    this.diffMarks = marks;
    this.diffColors = colors;
    this.requestDraw();
  }

  /**
   * rings on what the "what changed" view lists, one path per kind; zoomed out to groups, a ring
   * on each group holding a listed entity, in the colour of its weightiest kind (removed, added,
   * changed), instead of one per hidden entity
   */
  private drawDiffMarks(L: Layout): void {
    if (!this.diffMarks.size) return;
    const ctx = this.ctx;
    const z = this.view.zoom;
    const paths = new Map<string, Path2D>();
    const ring = (kind: string, sx: number, sy: number, r: number) => {
      let p = paths.get(kind);
      if (!p) paths.set(kind, (p = new Path2D()));
      p.moveTo(sx + r, sy);
      p.arc(sx, sy, r, 0, Math.PI * 2);
    };
    if (this.isAggregated(L)) {
      const weight: Record<string, number> = { removed: 3, added: 2, changed: 1 };
      for (const g of L.groups.values()) {
        if (!this.visible(g.x, g.y, g.r)) continue;
        let kind: string | null = null;
        for (const it of g.members) {
          const k = this.diffMarks.get(it.id);
          if (k && (kind === null || (weight[k] ?? 0) > (weight[kind] ?? 0))) kind = k;
        }
        if (kind === null) continue;
        const [sx, sy] = this.worldToScreen(g.x, g.y);
        ring(kind, sx, sy, Math.max(4, this.aggRadius(g, L)) + 4);
      }
    } else for (const [id, kind] of this.diffMarks) {
      const it = L.byId.get(id);
      if (!it || !this.visible(it.x, it.y, it.size)) continue;
      const [sx, sy] = this.worldToScreen(it.x, it.y);
      ring(kind, sx, sy, Math.max(3, (it.size * z) / 2 + 3));
    }
    ctx.lineWidth = 2;
    for (const [kind, p] of paths) {
      ctx.strokeStyle = this.diffColors[kind] ?? '#fbbf24';
      ctx.stroke(p);
    }
  }

  setPulsesEnabled(on: boolean): void {
    this.pulsesEnabled = on;
    if (!on) this.pulses.clear();
    this.requestDraw();
  }

  get pulseCount(): number {
    return this.pulses.size;
  }

  setHiddenSeverities(hidden: ReadonlySet<string>): void {
    this.hiddenSeverities = hidden;
    this.requestDraw();
  }

  setView(v: View, notify = true): void {
    this.view = { x: v.x, y: v.y, zoom: Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, v.zoom)) };
    this.flight = null;
    if (notify) this.onViewChange?.(this.view);
    this.requestDraw();
  }

  /** View that shows the whole layout inside the area the overlays leave free. */
  fitView(): View {
    const b = this.layout?.bounds ?? { minX: -100, minY: -100, maxX: 100, maxY: 100 };
    const i = this.insets;
    // labels stick out of the bounds a little: a margin all round
    const padL = i.left + 24, padR = i.right + 24, padT = i.top + 28, padB = i.bottom + 24;
    const bw = Math.max(1, b.maxX - b.minX);
    const bh = Math.max(1, b.maxY - b.minY);
    const zoom = Math.max(MIN_ZOOM, Math.min((this.w - padL - padR) / bw, (this.h - padT - padB) / bh, 4));
    const scx = padL + (this.w - padL - padR) / 2;
    const scy = padT + (this.h - padT - padB) / 2;
    return { x: (b.minX + b.maxX) / 2 - (scx - this.w / 2) / zoom, y: (b.minY + b.maxY) / 2 - (scy - this.h / 2) / zoom, zoom };
  }

  fit(animate = true): void {
    const v = this.fitView();
    if (animate) this.flyTo(v);
    else this.setView(v);
    this.fitted = true;
  }

  flyTo(to: View, ms = 450): void {
    this.flight = { from: { ...this.view }, to, start: performance.now(), ms };
    this.requestDraw();
  }

  /**
   * Centre an entity in the free area, zoomed so that it is easy to see but its neighbourhood
   * stays in view (never closer than CONTEXT_SPAN world units across the free area).
   */
  centreOn(id: string): boolean {
    const it = this.layout?.byId.get(id);
    if (!it) return false;
    const i = this.insets;
    const freeW = Math.max(100, this.w - i.left - i.right);
    const freeH = Math.max(100, this.h - i.top - i.bottom);
    const span = CONTEXT_SPAN[this.layout!.layer] ?? 600;
    const context = Math.min(freeW, freeH) / span;
    const wanted = Math.max(this.view.zoom, 28 / Math.max(4, it.size));
    const zoom = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, wanted, Math.max(context, this.view.zoom)));
    const [cx, cy] = this.safeCentre();
    this.fitted = false;
    this.flyTo({ x: it.x - (cx - this.w / 2) / zoom, y: it.y - (cy - this.h / 2) / zoom, zoom });
    return true;
  }

  /** Pan (same zoom) so that an entity is inside the free area, if an overlay now covers it. */
  ensureVisible(id: string): void {
    const it = this.layout?.byId.get(id);
    if (!it) return;
    const v = this.flight?.to ?? this.view;
    const [sx, sy] = [(it.x - v.x) * v.zoom + this.w / 2, (it.y - v.y) * v.zoom + this.h / 2];
    const h = (it.size * v.zoom) / 2 + 8;
    const i = this.insets;
    if (sx - h >= i.left && sx + h <= this.w - i.right && sy - h >= i.top && sy + h <= this.h - i.bottom) return;
    const [cx, cy] = this.safeCentre();
    this.fitted = false;
    this.flyTo({ x: it.x - (cx - this.w / 2) / v.zoom, y: it.y - (cy - this.h / 2) / v.zoom, zoom: v.zoom }, 300);
  }

  screenToWorld(px: number, py: number): [number, number] {
    return [(px - this.w / 2) / this.view.zoom + this.view.x, (py - this.h / 2) / this.view.zoom + this.view.y];
  }
  worldToScreen(x: number, y: number): [number, number] {
    return [(x - this.view.x) * this.view.zoom + this.w / 2, (y - this.view.y) * this.view.zoom + this.h / 2];
  }

  zoomAt(px: number, py: number, factor: number): void {
    const [wx, wy] = this.screenToWorld(px, py);
    const zoom = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, this.view.zoom * factor));
    this.fitted = false;
    // keep the world point under the cursor fixed
    this.setView({ x: wx - (px - this.w / 2) / zoom, y: wy - (py - this.h / 2) / zoom, zoom });
  }

  panBy(dx: number, dy: number): void {
    this.fitted = false;
    this.setView({ x: this.view.x - dx / this.view.zoom, y: this.view.y - dy / this.view.zoom, zoom: this.view.zoom });
  }

  hitTest(px: number, py: number): LayoutItem | null {
    const L = this.layout;
    if (!L) return null;
    const [wx, wy] = this.screenToWorld(px, py);
    const minR = HIT_PX / this.view.zoom;
    let best: LayoutItem | null = null;
    let bestD = Infinity;
    // on an entity's body wins over near its edge
    for (let i = L.items.length - 1; i >= 0; i--) {
      const it = L.items[i];
      const round = it.kind === 'agent' || it.kind === 'planet' || it.kind === 'snode';
      // how far from its edge a round entity still takes a click (at least HIT_PX on screen); a
      // tile is hit on its square, or within HIT_PX of its centre when it is tiny
      const reach = Math.max(it.size / 2, minR);
      const h = round ? it.size / 2 + reach : reach;
      const dx = wx - it.x;
      const dy = wy - it.y;
      if (dx < -h || dx > h || dy < -h || dy > h) continue;
      // distance from the entity's edge: a small dot next to a big one is still hit
      const d = Math.max(0, Math.sqrt(dx * dx + dy * dy) - it.size / 2);
      if (round && d > reach) continue;
      if (d < bestD) {
        best = it;
        bestD = d;
      }
    }
    return best;
  }

  requestDraw(base = true): void {
    if (base) this.baseDirty = true;
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.draw();
    });
  }

  /**
   * Draw now instead of at the next animation frame. For the first frame with content: after
   * the snapshot's long task Chromium may run the next frame hundreds of milliseconds late (seen
   * at 100×: the main thread idle, the compositor waiting on it), and the draw's own work fits
   * into that wait; the canvas is shown with that frame either way.
   */
  drawNow(): void {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.draw();
  }

  destroy(): void {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
  }

  // ---- drawing ------------------------------------------------------------------------------

  draw(): void {
    const t0 = performance.now();
    let animating = false;
    if (this.flight) {
      this.baseDirty = true;
      const f = this.flight;
      const t = Math.min(1, (t0 - f.start) / f.ms);
      const e = easeOut(t);
      // interpolate zoom geometrically for a natural fly
      const zoom = f.from.zoom * Math.pow(f.to.zoom / f.from.zoom, e);
      this.view = { x: f.from.x + (f.to.x - f.from.x) * e, y: f.from.y + (f.to.y - f.from.y) * e, zoom };
      if (t >= 1) {
        this.flight = null;
        this.onViewChange?.(this.view);
      } else animating = true;
    }
    const L = this.layout;
    // A full draw of the base costs what its raster costs (software, thousands of shapes and
    // labels); panning, zooming and a stream of batches would ask for one every frame. So
    // between two full draws at least four times the last one's duration passes (at most a
    // fifth of the main thread), and meanwhile the frame is the last base moved and scaled to
    // the current view: the map follows the hand at full rate, its content catches up.
    const bv = this.baseView;
    const wait = Math.max(0, Math.min(400, 4 * this.baseMs) - (t0 - this.baseAt));
    if ((this.baseDirty || animating) && bv && wait > 0 && !this.flight) {
      const k = this.view.zoom / bv.zoom;
      const W = this.canvas.width, H = this.canvas.height;
      const dx = ((this.w / 2) * (1 - k) + (bv.x - this.view.x) * this.view.zoom) * this.dpr;
      const dy = ((this.h / 2) * (1 - k) + (bv.y - this.view.y) * this.view.zoom) * this.dpr;
      const sc = this.screen;
      sc.setTransform(1, 0, 0, 1, 0, 0);
      if (k !== 1 || dx !== 0 || dy !== 0) {
        sc.fillStyle = C.BG;
        sc.fillRect(0, 0, W, H);
      }
      sc.drawImage(this.base, dx, dy, W * k, H * k);
      sc.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
      if (L) this.drawPulses(L, t0);
      this.stats.frames++;
      this.baseDirty = true;
      this.requestDraw(true);
      return;
    }
    if (this.baseDirty || animating) {
      this.baseDirty = false;
      this.baseView = { ...this.view };
      this.baseAt = t0;
      const ctx = this.ctx;
      ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
      ctx.fillStyle = C.BG;
      ctx.fillRect(0, 0, this.w, this.h);
      if (L) {
        this.drawGrid(L);
        if (this.isAggregated(L)) this.drawAggregates(L);
        else {
          this.groupBadges = [];
          this.attention = [];
          this.drawDecorations(L);
        }
        const itemsAnimating = this.drawItems(L, t0);
        if (itemsAnimating) {
          animating = true;
          this.baseDirty = true;
        }
      }
      this.stats.baseDraws++;
      const sc = this.screen;
      sc.setTransform(1, 0, 0, 1, 0, 0);
      sc.drawImage(this.base, 0, 0);
      // the copy is where the base's raster work is done: part of its cost
      this.baseMs = performance.now() - t0;
    } else {
      const sc = this.screen;
      sc.setTransform(1, 0, 0, 1, 0, 0);
      sc.drawImage(this.base, 0, 0);
    }
    const sc = this.screen;
    sc.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    if (L && this.drawPulses(L, t0)) animating = true;
    this.stats.frames++;
    this.stats.lastDrawMs = performance.now() - t0;
    if (L && L.items.length && !this.stats.firstDrawAt) {
      this.stats.firstDrawAt = performance.now();
      performance.measure('living-map:first-draw', { start: t0, end: this.stats.firstDrawAt });
      // the frame that shows it: the next animation frame starts no earlier than its commit
      requestAnimationFrame(() => {
        this.stats.firstFrameAt = performance.now();
        performance.mark('living-map:first-frame');
      });
      this.onFirstDraw?.();
    }
    if (this.labelsPending) {
      // the labels left out of the first frame: a full draw again (at the renderer's pace)
      this.labelsPending = false;
      this.labelsDue = true;
      this.baseDirty = true;
      animating = true;
    }
    if (animating) this.requestDraw(this.baseDirty);
  }

  private drawGrid(L: Layout): void {
    const ctx = this.ctx;
    const step = L.cell * this.view.zoom;
    if (step < 14) return;
    const [x0, y0] = this.screenToWorld(0, 0);
    const start = (v: number) => (Math.floor(v / L.cell + 0.5) - 0.5) * L.cell;
    ctx.beginPath();
    for (let x = start(x0); ; x += L.cell) {
      const [sx] = this.worldToScreen(x, 0);
      if (sx > this.w) break;
      ctx.moveTo(Math.round(sx) + 0.5, 0);
      ctx.lineTo(Math.round(sx) + 0.5, this.h);
    }
    for (let y = start(y0); ; y += L.cell) {
      const [, sy] = this.worldToScreen(0, y);
      if (sy > this.h) break;
      ctx.moveTo(0, Math.round(sy) + 0.5);
      ctx.lineTo(this.w, Math.round(sy) + 0.5);
    }
    ctx.strokeStyle = C.GRID;
    ctx.lineWidth = 1;
    ctx.stroke();
  }

  private visible(x: number, y: number, r: number): boolean {
    const [sx, sy] = this.worldToScreen(x, y);
    const sr = r * this.view.zoom;
    return sx + sr >= 0 && sy + sr >= 0 && sx - sr <= this.w && sy - sr <= this.h;
  }

  private drawDecorations(L: Layout): void {
    const ctx = this.ctx;
    const z = this.view.zoom;
    const orbits = new Path2D();
    let nOrbits = 0;
    for (const d of L.decorations) {
      if (!this.visible(d.x, d.y, d.r)) continue;
      const [sx, sy] = this.worldToScreen(d.x, d.y);
      const sr = d.r * z;
      if (sr < 3) continue;
      if (d.kind === 'orbit') {
        orbits.moveTo(sx + sr, sy);
        orbits.arc(sx, sy, sr, 0, Math.PI * 2);
        nOrbits++;
      } else {
        const hl = this.highlightGroup === d.id;
        ctx.beginPath();
        if (d.kind === 'block') ctx.rect(sx - sr, sy - sr, sr * 2, sr * 2);
        else ctx.arc(sx, sy, sr, 0, Math.PI * 2);
        ctx.fillStyle = hl ? 'rgba(34,211,238,0.09)' : 'rgba(100,140,220,0.045)';
        ctx.fill();
        ctx.strokeStyle = hl ? 'rgba(34,211,238,0.6)' : 'rgba(120,160,230,0.18)';
        ctx.lineWidth = 1;
        ctx.stroke();
        if (d.label && sr > 18) {
          const fs = Math.max(12, Math.min(22, sr / 6));
          ctx.font = `600 ${fs}px Inter, system-ui, sans-serif`;
          ctx.textAlign = 'center';
          ctx.textBaseline = 'bottom';
          ctx.fillStyle = hl ? C.ACCENT : C.TEXT_DIM;
          ctx.fillText(d.label, sx, sy - sr - 6);
        }
      }
    }
    if (nOrbits) {
      ctx.strokeStyle = 'rgba(148,163,184,0.16)';
      ctx.lineWidth = 1;
      ctx.stroke(orbits);
    }
  }

  /** fill colour of an item (with transitions for node load) */
  private fillOf(it: LayoutItem, now: number): string {
    switch (it.kind) {
      case 'district':
        return C.statusColor(it.ref.status);
      case 'agent':
        return C.statusColor(it.ref.status);
      case 'planet':
        return (C.PLANET[String(it.ref.type)] ?? C.PLANET.other)[0];
      case 'node':
      case 'snode': {
        if (it.ref.status === 'offline') return C.STATUS.offline;
        return C.loadColor(this.load(it, now));
      }
    }
  }

  private load(it: LayoutItem, now: number): number {
    return Math.max(this.metricAt(it, 'cpu', now), this.metricAt(it, 'gpu', now));
  }

  private metricAt(it: LayoutItem, k: 'cpu' | 'gpu' | 'ram', now: number): number {
    const cur = metric(it.ref, k);
    const tr = this.transitions.get(it.id);
    if (!tr) return cur;
    const t = (now - tr.start) / TRANSITION_MS;
    if (t >= 1) {
      this.transitions.delete(it.id);
      return cur;
    }
    const from = metric(tr.from, k);
    return from + (cur - from) * easeOut(t);
  }

  private drawItems(L: Layout, now: number): boolean {
    const ctx = this.ctx;
    const z = this.view.zoom;
    const fills = new Map<string, Path2D>();
    const path = (color: string) => {
      let p = fills.get(color);
      if (!p) fills.set(color, (p = new Path2D()));
      return p;
    };
    const detailed: LayoutItem[] = [];
    // tiny items: integer pixel rects per colour, drawn with fillRect (no path, no anti-aliasing)
    const dots = new Map<string, number[]>();
    let drawn = 0;
    // world-space viewport for cheap culling
    const [vx0, vy0] = this.screenToWorld(0, 0);
    const [vx1, vy1] = this.screenToWorld(this.w, this.h);
    const alerted: LayoutItem[] = [];
    const agg = this.isAggregated(L);
    for (const it of L.items) {
      if (agg && it.id !== this.selected) continue;
      const h = it.size / 2;
      if (it.x + h < vx0 || it.x - h > vx1 || it.y + h < vy0 || it.y - h > vy1) continue;
      drawn++;
      const al = it.ref.alerts;
      if (Array.isArray(al) && al.length) alerted.push(it);
      const sx = (it.x - this.view.x) * z + this.w / 2;
      const sy = (it.y - this.view.y) * z + this.h / 2;
      const ss = it.size * z;
      const color = this.fillOf(it, now);
      const square = it.kind === 'node' || it.kind === 'district';
      // a microDAO in trouble is named at every zoom (attention first)
      if (it.kind === 'district' && this.troubleOf(it)) detailed.push(it);
      if (ss < 5 || (square && ss < 12 && it.id !== this.selected && it.id !== this.hover)) {
        // level of detail: a pixel-aligned square (fillRect rasters far faster than a path)
        let d = dots.get(color);
        if (!d) dots.set(color, (d = []));
        const w = Math.max(2, Math.round(ss));
        d.push(Math.round(sx - w / 2), Math.round(sy - w / 2), w);
        continue;
      }
      const p = path(it.kind === 'district' ? color + '|d' : color);
      if (it.kind === 'district' || it.kind === 'node') {
        const r = Math.min(ss * 0.12, 10);
        if (ss > 10 && p.roundRect) p.roundRect(sx - ss / 2, sy - ss / 2, ss, ss, r);
        else p.rect(sx - ss / 2, sy - ss / 2, ss, ss);
      } else {
        p.moveTo(sx + ss / 2, sy);
        p.arc(sx, sy, ss / 2, 0, Math.PI * 2);
      }
      if ((ss >= 14 || it.id === this.selected || it.id === this.hover) && !(it.kind === 'district' && this.troubleOf(it))) detailed.push(it);
    }
    if (!agg) this.stats.drawnItems = drawn;
    for (const [color, d] of dots) {
      ctx.fillStyle = color;
      for (let i = 0; i < d.length; i += 3) ctx.fillRect(d[i], d[i + 1], d[i + 2], d[i + 2]);
    }
    for (const [key, p] of fills) {
      if (key.endsWith('|d')) {
        // districts: translucent body with a bright outline
        const c = key.slice(0, -2);
        ctx.globalAlpha = 0.2;
        ctx.fillStyle = c;
        ctx.fill(p);
        ctx.globalAlpha = 0.85;
        ctx.strokeStyle = c;
        ctx.lineWidth = 1.5;
        ctx.stroke(p);
        ctx.globalAlpha = 1;
      } else {
        ctx.fillStyle = key;
        ctx.fill(p);
      }
    }
    // detail pass: only entities large enough on screen (few of them when zoomed in)
    if (detailed.length <= 3000) for (const it of detailed) this.drawDetail(it, now);
    // rings of "what changed" under the badges and the labels: at 100× nearly every entity changes
    // within minutes, and rings drawn last covered every name
    this.drawDiffMarks(L);
    const flashing = this.drawAlertBadges(alerted, now);
    if (this.stats.firstDrawAt || !L.items.length) {
      this.flushLabels();
      if (this.labelsDue) {
        this.labelsDue = false;
        this.stats.labelsAt = performance.now();
        performance.mark('living-map:first-labels');
      }
    } else {
      // progressive first frame: shapes (groups when zoomed out) first, labels with the next
      // frame; placing and rastering hundreds of labels with a cold glyph cache was the larger
      // part of the first draw at 100×
      this.labelQueue = [];
      this.labels = [];
      this.labelsPending = true;
    }
    return this.transitions.size > 0 || flashing;
  }

  /** Zoomed out far enough that the layer shows its groups, not its entities. */
  isAggregated(L: Layout | null = this.layout): boolean {
    if (!L || !L.groups.size) return false;
    const px = AGGREGATE_BELOW_PX[L.layer];
    return px !== undefined && TYPICAL_SIZE[L.layer] * this.view.zoom < px;
  }

  /** Per-group counts, worst states and alerts; computed once per layout version and filter. */
  statsOf(L: Layout): Map<string, GroupStats> {
    const c = this.groupStats;
    if (c.layout === L && c.version === (L.version ?? 0) && c.hidden === this.hiddenSeverities) return c.stats;
    const out = new Map<string, GroupStats>();
    for (const g of L.groups.values()) {
      let offline = 0, warning = 0, hot = 0, online = 0, loadSum = 0, loadN = 0, firing = 0;
      let severity: string | null = null;
      for (const it of g.members) {
        const r = it.ref;
        const st = r.status;
        if (st === 'offline' || st === 'inactive') offline++;
        else if (st === 'online' || st === 'active' || st === 'busy') online++;
        else if (st === 'warning') warning++;
        if (it.kind === 'node' || it.kind === 'snode') {
          const l = Math.max(metric(r, 'cpu'), metric(r, 'gpu'));
          if (st !== 'offline') {
            loadSum += l;
            loadN++;
            if (l > HOT) hot++;
          }
        }
        const b = badgeOf(r.alerts, this.hiddenSeverities);
        if (b) {
          firing += b.count;
          if (severity === null || severityRank(b.severity) < severityRank(severity)) severity = b.severity;
        }
      }
      out.set(g.id, { count: g.members.length, offline, warning, hot, online, load: loadN ? loadSum / loadN : -1, firing, severity });
    }
    this.groupStats = { layout: L, version: L.version ?? 0, hidden: this.hiddenSeverities, stats: out };
    return out;
  }

  /** The group under a canvas point, when the layer is drawn as aggregates. */
  hitGroup(px: number, py: number): Group | null {
    const L = this.layout;
    if (!L || !this.isAggregated(L)) return null;
    const [wx, wy] = this.screenToWorld(px, py);
    const minR = HIT_PX / this.view.zoom;
    let best: Group | null = null;
    let bestD = Infinity;
    for (const g of L.groups.values()) {
      const d = Math.hypot(wx - g.x, wy - g.y) - Math.max(this.aggRadius(g, L) / this.view.zoom, minR);
      if (d <= 0 && d < bestD) {
        best = g;
        bestD = d;
      }
    }
    return best;
  }

  /** Fly in until a group opens into its entities. */
  openGroup(g: Group): void {
    const L = this.layout;
    if (!L) return;
    const i = this.insets;
    const free = Math.max(100, Math.min(this.w - i.left - i.right, this.h - i.top - i.bottom));
    const open = (AGGREGATE_BELOW_PX[L.layer] * 1.3) / TYPICAL_SIZE[L.layer];
    const zoom = Math.min(MAX_ZOOM, Math.max(open, Math.min(free / (2.4 * g.r), open * 3)));
    const [cx, cy] = this.safeCentre();
    this.fitted = false;
    this.flyTo({ x: g.x - (cx - this.w / 2) / zoom, y: g.y - (cy - this.h / 2) / zoom, zoom });
  }

  /** a group's disc (translucent body, outline) of one colour and radius, drawn once */
  private discSprite(color: string, r: number): HTMLCanvasElement {
    const key = color + '|' + r + '|' + this.dpr;
    let sp = this.sprites.get(key);
    if (!sp) {
      if (this.sprites.size >= 600) this.sprites.clear(); // zooming makes new radii: bounded
      const d = Math.ceil(2 * r + 4);
      sp = document.createElement('canvas');
      sp.width = sp.height = Math.ceil(d * this.dpr);
      const g = sp.getContext('2d')!;
      g.scale(this.dpr, this.dpr);
      g.beginPath();
      g.arc(d / 2, d / 2, r, 0, Math.PI * 2);
      g.globalAlpha = 0.32;
      g.fillStyle = color;
      g.fill();
      g.globalAlpha = 1;
      g.lineWidth = 1.5;
      g.strokeStyle = color;
      g.stroke();
      this.sprites.set(key, sp);
    }
    return sp;
  }

  /** screen radius of a group's disc: the extent its members take when opened (groups never overlap) */
  private aggRadius(g: Group, _L: Layout): number {
    return Math.max(4, g.r * this.view.zoom);
  }

  /**
   * Groups as aggregates: a disc per group, filled by its mean load (nodes) or its share
   * online (agents), the count inside, the name above when it fits whole; what needs attention
   * (alerts, offline, hot) rings the disc in its colour and keeps it at least 6 px, so that it
   * stands out at any zoom.
   */
  private drawAggregates(L: Layout): void {
    const ctx = this.ctx;
    const stats = this.statsOf(L);
    const badges: MapRenderer['badges'] = [];
    const [vx0, vy0] = this.screenToWorld(0, 0);
    const [vx1, vy1] = this.screenToWorld(this.w, this.h);
    const rings: [Group, GroupStats, number, number, number][] = [];
    const discs = new Map<string, Path2D>();
    const sprites: (HTMLCanvasElement | number)[] = [];
    const names: { id: string; text: string; x: number; y: number; color: string; prio: number; attention: boolean }[] = [];
    const city = L.layer === 'city';
    let drawn = 0;
    for (const g of L.groups.values()) {
      if (g.x + g.r < vx0 || g.x - g.r > vx1 || g.y + g.r < vy0 || g.y - g.r > vy1) continue;
      const st = stats.get(g.id);
      if (!st || !st.count) continue;
      const [sx, sy] = this.worldToScreen(g.x, g.y);
      // a few offline agents are normal; a fifth of a group offline or hot is not; a single
      // microDAO inactive or in warning is (its marker and name are drawn over the disc below)
      const attention = st.firing > 0 || st.offline * 5 >= st.count || st.hot * 5 >= st.count || (city && st.offline + st.warning > 0);
      const r = Math.max(attention ? 6 : 3, this.aggRadius(g, L));
      let fill: string;
      if (st.load >= 0) fill = C.loadColor(st.load);
      else if (L.layer === 'agents' || city) fill = st.online * 2 >= st.count ? C.STATUS.online : st.online > 0 ? C.STATUS.idle : C.STATUS.offline;
      else fill = C.TEXT_DIM;
      if (r <= SPRITE_MAX_R) {
        // a small disc is a copy of a cached sprite: a software raster strokes a path of a
        // thousand circles 4-5 times slower than it copies a thousand small images
        const q = Math.round(r * 2) / 2;
        const sp = this.discSprite(fill, q);
        const d = sp.width / this.dpr;
        sprites.push(sp, Math.round(sx - d / 2), Math.round(sy - d / 2), d);
      } else {
        // batched by colour: one fill and one stroke per colour, not per group
        let p = discs.get(fill);
        if (!p) discs.set(fill, (p = new Path2D()));
        p.moveTo(sx + r, sy);
        p.arc(sx, sy, r, 0, Math.PI * 2);
      }
      drawn++;
      if (attention) rings.push([g, st, sx, sy, r]);
      if (r >= 11) this.queueLabel('~g:' + g.id + '#n', fmt(st.count), sx, sy, Math.min(18, Math.max(10, r / 2.2)), C.TEXT, 700, 15 + Math.log10(st.count + 1) * 5, r * 1.8);
      const prio = 10 + Math.log10(st.count + 1) * 10 + (st.firing ? 40 : 0) + (st.offline ? 10 : 0);
      names.push({ id: '~g:' + g.id, text: g.label, x: sx, y: sy - r - 9, color: st.firing ? C.TEXT : C.TEXT_DIM, prio, attention });
    }
    // hundreds of groups on screen (nodes, agents, space at 100x): only those that need
    // attention are named, so that their names are what the eye finds; the rest on hover
    const crowded = drawn > CROWDED_GROUPS;
    for (const n of names) if (!crowded || n.attention) this.queueLabel(n.id, n.text, n.x, n.y, 12, n.color, 600, n.prio);
    for (let i = 0; i < sprites.length; i += 4) {
      const d = sprites[i + 3] as number;
      ctx.drawImage(sprites[i] as HTMLCanvasElement, sprites[i + 1] as number, sprites[i + 2] as number, d, d);
    }
    for (const [color, p] of discs) {
      ctx.globalAlpha = 0.32;
      ctx.fillStyle = color;
      ctx.fill(p);
      ctx.globalAlpha = 1;
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = color;
      ctx.stroke(p);
    }
    this.stats.drawnItems = drawn;
    // attention on top: offline share as a slate arc, hot as orange, alerts as the severity ring
    const offArcs = new Path2D();
    const hotArcs = new Path2D();
    for (const [, st, sx, sy, r] of rings) {
      if (st.offline * 5 >= st.count) {
        const a0 = -Math.PI / 2;
        offArcs.moveTo(sx + Math.cos(a0) * (r + 2.5), sy + Math.sin(a0) * (r + 2.5));
        offArcs.arc(sx, sy, r + 2.5, a0, a0 + (Math.PI * 2 * st.offline) / st.count);
      }
      if (st.hot * 5 >= st.count) {
        const a0 = Math.PI / 2;
        hotArcs.moveTo(sx + Math.cos(a0) * (r + 2.5), sy + Math.sin(a0) * (r + 2.5));
        hotArcs.arc(sx, sy, r + 2.5, a0, a0 + (Math.PI * 2 * st.hot) / st.count);
      }
    }
    ctx.lineWidth = 3;
    ctx.strokeStyle = '#94a3b8';
    ctx.stroke(offArcs);
    ctx.strokeStyle = C.LOAD_COLORS[C.LOAD_STEPS - 1];
    ctx.stroke(hotArcs);
    for (const [g, st, sx, sy, r] of rings) {
      if (st.firing && st.severity) {
        const color = severityColor(st.severity);
        ctx.beginPath();
        ctx.arc(sx, sy, r + 6, 0, Math.PI * 2);
        ctx.strokeStyle = color;
        ctx.lineWidth = 2.5;
        ctx.stroke();
        const br = 8;
        const bx = sx + r * 0.72 + 4, by = sy - r * 0.72 - 4;
        ctx.beginPath();
        ctx.arc(bx, by, br, 0, Math.PI * 2);
        ctx.fillStyle = color;
        ctx.fill();
        ctx.lineWidth = 2;
        ctx.strokeStyle = C.BG;
        ctx.stroke();
        ctx.font = '700 10px Inter, system-ui, sans-serif';
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.fillStyle = st.severity === 'warning' ? '#1f1300' : '#ffffff';
        ctx.fillText(st.firing > 9 ? '9+' : String(st.firing), bx, by + 0.5);
        badges.push({ id: g.id, severity: st.severity, count: st.firing, x: bx, y: by, r: br });
      }
    }
    this.groupBadges = badges;
    this.attention = city ? this.drawAttentionMembers(L, vx0, vy0, vx1, vy1) : [];
  }

  /**
   * The members of aggregated groups that need attention (a microDAO inactive, in warning or
   * with a firing alert), each drawn over its group's disc where it will be when the group
   * opens, with its name and what is wrong: with the city as a dozen discs a reader still sees
   * which microDAO is in trouble, without a legend. At most 200, most severe first.
   */
  private drawAttentionMembers(L: Layout, vx0: number, vy0: number, vx1: number, vy1: number): MapRenderer['attention'] {
    const found: { it: LayoutItem; b: { severity: string; count: number } | null; rank: number }[] = [];
    for (const g of L.groups.values()) {
      if (g.x + g.r < vx0 || g.x - g.r > vx1 || g.y + g.r < vy0 || g.y - g.r > vy1) continue;
      for (const it of g.members) {
        const st = it.ref.status;
        if (!this.troubleOf(it)) continue;
        const b = badgeOf(it.ref.alerts, this.hiddenSeverities);
        // alerts by severity first, then offline before warning
        found.push({ it, b, rank: b ? severityRank(b.severity) : st === 'warning' ? 11 : 10 });
      }
    }
    found.sort((a, b) => a.rank - b.rank);
    const ctx = this.ctx;
    const z = this.view.zoom;
    const out: MapRenderer['attention'] = [];
    for (const { it, b, rank } of found.slice(0, 200)) {
      const [sx, sy] = this.worldToScreen(it.x, it.y);
      const s = Math.max(10, Math.min(24, it.size * z));
      const st = String(it.ref.status ?? '');
      const color = b ? severityColor(b.severity) : C.statusColor(st);
      ctx.fillStyle = color;
      ctx.fillRect(sx - s / 2, sy - s / 2, s, s);
      ctx.lineWidth = 2;
      ctx.strokeStyle = C.SELECT;
      ctx.strokeRect(sx - s / 2 - 1, sy - s / 2 - 1, s + 2, s + 2);
      const name = String(it.ref.name ?? it.id);
      this.queueLabel(it.id, `${name} · ${this.troubleOf(it)}`, sx, sy + s / 2 + 10, 12, C.TEXT, 700, 300 - rank * 10);
      out.push({ id: it.id, status: st, severity: b?.severity ?? null, x: sx, y: sy });
    }
    return out;
  }

  /** what is wrong with a microDAO, in words (its alerts shown by the filter, else a status that is not active), or null */
  private troubleOf(it: LayoutItem): string | null {
    const b = badgeOf(it.ref.alerts, this.hiddenSeverities);
    if (b) return `${b.count} ${b.severity} alert${b.count === 1 ? '' : 's'}`;
    const st = it.ref.status;
    return st === 'active' || st === 'online' || st === undefined || st === null ? null : String(st);
  }

  private drawDetail(it: LayoutItem, now: number): void {
    const ctx = this.ctx;
    const z = this.view.zoom;
    const [sx, sy] = this.worldToScreen(it.x, it.y);
    const ss = it.size * z;
    const ref = it.ref;
    const name = String(ref.name ?? it.id);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    if (it.kind === 'planet') {
      const [light, dark] = C.PLANET[String(ref.type)] ?? C.PLANET.other;
      const g = ctx.createRadialGradient(sx - ss * 0.18, sy - ss * 0.2, ss * 0.05, sx, sy, ss / 2);
      g.addColorStop(0, light);
      g.addColorStop(1, dark);
      ctx.beginPath();
      ctx.arc(sx, sy, ss / 2, 0, Math.PI * 2);
      ctx.fillStyle = g;
      ctx.fill();
      if (ref.status !== 'active' && ref.status !== 'online') {
        ctx.strokeStyle = C.statusColor(ref.status);
        ctx.lineWidth = 3;
        ctx.stroke();
      }
      if (ss > 24) {
        // the name over the planet's body, not under it where the first orbit runs
        const fs = Math.min(20, Math.max(11, ss / 5));
        this.queueLabel(it.id, name, sx, sy, fs, C.TEXT, 600, 90);
        const props = num(ref.active_proposals);
        if (ss > 56) this.queueLabel(it.id + '#p', `${props} proposal${props === 1 ? '' : 's'}`, sx, sy + fs * 1.1, Math.min(13, Math.max(10, ss / 8)), '#ddd6fe', 500, 40);
      }
    } else if (it.kind === 'district') {
      const trouble = this.troubleOf(it);
      // in trouble: the whole name and what is wrong under the square, at any size, before others
      if (trouble) this.queueLabel(it.id, `${name} · ${trouble}`, sx, sy + Math.max(5, ss / 2) + 10, ss > 30 ? Math.min(16, Math.max(12, ss / 9)) : 12, C.TEXT, 700, 250);
      if (ss > 30) {
        const fs = Math.min(22, Math.max(11, ss / 9));
        const cell = (this.layout?.cell ?? ss) * z;
        if (!trouble) this.queueLabel(it.id, name, sx, sy - fs * 0.6, fs, C.TEXT, 600, 80, cell - 6);
        if (ss > 70) this.queueLabel(it.id + '#m', `${fmt(num(ref.members))} members`, sx, sy + fs * 0.7, fs * 0.78, C.TEXT_DIM, 400, 30, ss - 6);
        if (ss > 110) this.queueLabel(it.id + '#a', `${num(ref.agents)} agents · ${num(ref.nodes)} nodes`, sx, sy + fs * 1.9, fs * 0.72, C.TEXT_DIM, 400, 20, ss - 6);
      }
    } else if (it.kind === 'node') {
      const cpu = this.metricAt(it, 'cpu', now);
      const gpu = this.metricAt(it, 'gpu', now);
      const x0 = sx - ss / 2;
      const y0 = sy - ss / 2;
      // darker face, so that bars and text stand out
      ctx.fillStyle = 'rgba(7,11,22,0.55)';
      const inset = Math.max(2, ss * 0.06);
      ctx.fillRect(x0 + inset, y0 + inset, ss - inset * 2, ss - inset * 2);
      const barH = Math.max(3, ss * 0.1);
      const bw = ss - inset * 4;
      const bars: [string, number][] = [
        ['CPU', cpu],
        ['GPU', gpu],
      ];
      bars.forEach(([lbl, v], i) => {
        const by = y0 + ss - inset * 2 - (2 - i) * (barH + inset) + inset * 0.5;
        ctx.fillStyle = 'rgba(148,163,184,0.25)';
        ctx.fillRect(x0 + inset * 2, by, bw, barH);
        ctx.fillStyle = ref.status === 'offline' ? C.STATUS.offline : C.loadColor(v);
        ctx.fillRect(x0 + inset * 2, by, bw * Math.max(0, Math.min(1, v)), barH);
        if (ss > 90) {
          ctx.font = `500 ${Math.round(barH * 0.9)}px Inter, system-ui, sans-serif`;
          ctx.textAlign = 'left';
          ctx.fillStyle = C.TEXT;
          ctx.fillText(`${lbl} ${Math.round(v * 100)}%`, x0 + inset * 2 + 2, by - barH * 0.55);
        }
      });
      // the whole name or none: it may use the gap between tiles, never more than the cell
      if (ss > 28) this.queueLabel(it.id, name, sx, y0 + ss * 0.3, Math.min(16, Math.max(10, ss / 7)), C.TEXT, 600, 60, (this.layout?.cell ?? ss) * z - 4);
      if (ref.status === 'offline' && ss > 24) this.queueLabel(it.id + '#o', 'OFFLINE', sx, sy, Math.max(9, Math.min(14, ss / 8)), '#cbd5e1', 700, 70);
      if (ss > 30) {
        ctx.strokeStyle = ref.status === 'offline' ? C.STATUS.offline : C.loadColor(Math.max(cpu, gpu));
        ctx.lineWidth = 1.5;
        ctx.strokeRect(x0 + 0.75, y0 + 0.75, ss - 1.5, ss - 1.5);
      }
      if (ref.status === 'warning' && !badgeOf(ref.alerts, NO_FILTER)) this.badge('!', x0 + ss - 4, y0 + 4, C.STATUS.warning);
    } else if (it.kind === 'agent') {
      if (ss > 14) this.queueLabel(it.id, name, sx, sy + ss / 2 + 9, Math.min(15, Math.max(10, ss / 3)), C.TEXT, 500, 50);
    } else if (it.kind === 'snode') {
      if (ref.status === 'warning') {
        ctx.beginPath();
        ctx.arc(sx, sy, ss / 2 + 2, 0, Math.PI * 2);
        ctx.strokeStyle = C.STATUS.warning;
        ctx.lineWidth = 2;
        ctx.stroke();
      }
      if (ss > 20) this.queueLabel(it.id, name, sx, sy + ss / 2 + 9, Math.min(13, Math.max(10, ss / 2.5)), C.TEXT_DIM, 500, 40);
    }
    if (it.id === this.selected || it.id === this.hover) {
      const sel = it.id === this.selected;
      ctx.strokeStyle = sel ? C.SELECT : 'rgba(226,232,240,0.6)';
      ctx.lineWidth = sel ? 2.5 : 1.5;
      ctx.setLineDash(sel ? [] : [4, 3]);
      const pad = 5;
      const s2 = Math.max(ss, 8) / 2 + pad;
      ctx.beginPath();
      if (it.kind === 'district' || it.kind === 'node') ctx.rect(sx - s2, sy - s2, s2 * 2, s2 * 2);
      else ctx.arc(sx, sy, s2, 0, Math.PI * 2);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  /**
   * Alert badges: a disc in the colour of the highest shown severity with the count, at the
   * entity's top-right corner (top-left on planets, whose top-right shows proposals). Drawn at
   * every zoom, a little smaller on tiny entities. Returns whether a flash is still animating.
   */
  private drawAlertBadges(items: LayoutItem[], now: number): boolean {
    const ctx = this.ctx;
    const z = this.view.zoom;
    const out: MapRenderer['badges'] = [];
    let animating = false;
    // the most severe last, so that it is on top where badges overlap
    const shown = [];
    for (const it of items) {
      const b = badgeOf(it.ref.alerts, this.hiddenSeverities);
      if (b) shown.push({ it, b });
    }
    shown.sort((a, b) => severityRank(b.b.severity) - severityRank(a.b.severity));
    for (const { it, b } of shown) {
      const [sx, sy] = this.worldToScreen(it.x, it.y);
      const ss = it.size * z;
      const round = it.kind !== 'node' && it.kind !== 'district';
      const k = round ? 0.36 : 0.5;
      const bx = it.kind === 'planet' ? sx - ss * k : sx + ss * k;
      const by = sy - ss * k;
      let r = Math.max(5, Math.min(10, ss * 0.2 + 4));
      const start = this.alertFlashes.get(it.id);
      let t = 1;
      if (start !== undefined) {
        t = (now - start) / ALERT_FLASH_MS;
        if (t >= 1) this.alertFlashes.delete(it.id);
        else animating = true;
      }
      const color = severityColor(b.severity);
      if (t < 1) {
        r *= 1 + 0.7 * Math.sin(Math.min(1, t * 2) * Math.PI);
        ctx.beginPath();
        ctx.arc(bx, by, r + 4 + easeOut(t) * 22, 0, Math.PI * 2);
        ctx.strokeStyle = color;
        ctx.globalAlpha = 1 - t;
        ctx.lineWidth = 3;
        ctx.stroke();
        ctx.globalAlpha = 1;
      }
      ctx.beginPath();
      ctx.arc(bx, by, r, 0, Math.PI * 2);
      ctx.fillStyle = color;
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = C.BG;
      ctx.stroke();
      if (r >= 7) {
        ctx.font = `700 ${Math.round(r * 1.15)}px Inter, system-ui, sans-serif`;
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.fillStyle = b.severity === 'warning' ? '#1f1300' : '#ffffff';
        ctx.fillText(b.count > 9 ? '9+' : String(b.count), bx, by + 0.5);
      }
      out.push({ id: it.id, severity: b.severity, count: b.count, x: bx, y: by, r });
    }
    this.badges = out;
    return animating;
  }

  private drawPulses(L: Layout, now: number): boolean {
    if (!this.pulses.size) return false;
    // zoomed out to groups, a ring per event would cover every group: the aggregates' own
    // colours carry the change
    if (this.isAggregated(L)) {
      this.pulses.clear();
      return false;
    }
    const ctx = this.screen;
    const z = this.view.zoom;
    // batched by colour and by one of four fading steps: a handful of strokes per frame
    const batches = new Map<string, Path2D>();
    let n = 0;
    for (const [id, p] of this.pulses) {
      const t = (now - p.start) / PULSE_MS;
      if (t >= 1) {
        this.pulses.delete(id);
        continue;
      }
      if (n >= 600) continue;
      const it = L.byId.get(id);
      if (!it || !this.visible(it.x, it.y, it.size)) continue;
      n++;
      const [sx, sy] = this.worldToScreen(it.x, it.y);
      const base = Math.max(4, (it.size * z) / 2);
      const r = base + 3 + easeOut(t) * 26;
      const key = p.color + '|' + Math.min(3, Math.floor(t * 4));
      let path = batches.get(key);
      if (!path) batches.set(key, (path = new Path2D()));
      path.moveTo(sx + r, sy);
      path.arc(sx, sy, r, 0, Math.PI * 2);
    }
    ctx.lineWidth = 2.5;
    for (const [key, path] of batches) {
      const [color, step] = key.split('|');
      ctx.strokeStyle = color;
      ctx.globalAlpha = (1 - (Number(step) + 0.5) / 4) * 0.9;
      ctx.stroke(path);
    }
    ctx.globalAlpha = 1;
    return this.pulses.size > 0;
  }

  /**
   * Labels are queued while shapes are drawn and placed at the end, on top of everything: most
   * important first (selected, hovered, alerting, then by the caller's priority), each whole or
   * not at all, and never over a label already placed.
   */
  private queueLabel(id: string, text: string, x: number, y: number, size: number, color: string, weight: number, prio: number, maxWidth?: number): void {
    const base = id.split('#')[0];
    let p = prio;
    if (base === this.selected) p += 1000;
    else if (base === this.hover) p += 900;
    this.labelQueue.push({ id, text, x, y, size, color, weight, prio: p, maxWidth });
  }

  /** width of text at a font size, from a cached width at 100 px (scales linearly) */
  private textWidth(text: string, weight: number, size: number): number {
    const key = weight + '|' + text;
    let w = this.widths.get(key);
    if (w === undefined) {
      // measured on a context of its own: the font is parsed once per weight, not once per new
      // label (thousands on the first frame at 100×), and the drawing context's font is left alone
      const m = this.measureCtx;
      if (this.measureWeight !== weight) {
        m.font = `${weight} 100px Inter, system-ui, sans-serif`;
        this.measureWeight = weight;
      }
      w = m.measureText(text).width;
      if (this.widths.size > 50000) this.widths.clear();
      this.widths.set(key, w);
    }
    return (w * size) / 100;
  }

  private flushLabels(): void {
    const q = this.labelQueue;
    this.labelQueue = [];
    const placed: MapRenderer['labels'] = [];
    if (!q.length) {
      this.labels = placed;
      return;
    }
    q.sort((a, b) => b.prio - a.prio);
    // placed boxes in a coarse grid, so that a collision check looks at a few neighbours only
    const G = 64;
    const grid = new Map<number, number[]>();
    const keyOf = (cx: number, cy: number) => cx * 100003 + cy;
    const ctx = this.ctx;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.lineJoin = 'round';
    let font = '';
    const MAX_LABELS = 400;
    for (const l of q) {
      if (placed.length >= MAX_LABELS) break;
      const fs = Math.round(l.size);
      const w = this.textWidth(l.text, l.weight, fs);
      if (l.maxWidth !== undefined && w > l.maxWidth) continue;
      const h = fs * 1.2;
      const x0 = l.x - w / 2 - 2, y0 = l.y - h / 2, x1 = l.x + w / 2 + 2, y1 = l.y + h / 2;
      if (x1 < 0 || y1 < 0 || x0 > this.w || y0 > this.h) continue;
      const gx0 = Math.floor(x0 / G), gx1 = Math.floor(x1 / G), gy0 = Math.floor(y0 / G), gy1 = Math.floor(y1 / G);
      let hit = false;
      for (let gx = gx0; gx <= gx1 && !hit; gx++)
        for (let gy = gy0; gy <= gy1 && !hit; gy++) {
          const cell = grid.get(keyOf(gx, gy));
          if (!cell) continue;
          for (const k of cell) {
            const o = placed[k];
            if (x0 < o.x + o.w && x1 > o.x && y0 < o.y + o.h && y1 > o.y) {
              hit = true;
              break;
            }
          }
        }
      if (hit) continue;
      const k = placed.length;
      placed.push({ id: l.id, text: l.text, x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
      for (let gx = gx0; gx <= gx1; gx++)
        for (let gy = gy0; gy <= gy1; gy++) {
          const key = keyOf(gx, gy);
          const cell = grid.get(key);
          if (cell) cell.push(k);
          else grid.set(key, [k]);
        }
      const f = `${l.weight} ${fs}px Inter, system-ui, sans-serif`;
      if (f !== font) ctx.font = font = f;
      ctx.lineWidth = 4;
      ctx.strokeStyle = 'rgba(7,11,22,0.9)';
      ctx.strokeText(l.text, l.x, l.y);
      ctx.fillStyle = l.color;
      ctx.fillText(l.text, l.x, l.y);
    }
    this.labels = placed;
  }

  private badge(text: string, x: number, y: number, color: string): void {
    const ctx = this.ctx;
    ctx.beginPath();
    ctx.arc(x, y, 9, 0, Math.PI * 2);
    ctx.fillStyle = color;
    ctx.fill();
    ctx.font = '700 11px Inter, system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = '#0b1020';
    ctx.fillText(text, x, y + 0.5);
  }
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(1).replace(/\.0$/, '') + 'B';
  if (a >= 1e6) return (n / 1e6).toFixed(1).replace(/\.0$/, '') + 'M';
  if (a >= 1e4) return (n / 1e3).toFixed(1).replace(/\.0$/, '') + 'k';
  return String(Math.round(n));
}
