import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from 'react';
import type { LayerName, Snapshot } from '@daarion/living-map-client';
import { layoutLayer, type Layout } from './map/layout';
import { MapRenderer, fmt, type GroupStats, type View } from './map/renderer';
import { Tooltip } from './Tooltip';

export interface MapHandle {
  renderer: MapRenderer | null;
  fit(): void;
  centreOn(id: string): boolean;
  pulse(id: string, color: string): void;
  zoom(factor: number): void;
}

interface Props {
  layer: LayerName;
  snapshot: Snapshot | null;
  selected: string | null;
  initialView: View | null;
  /** canvas pixels covered by the overlays now open */
  insets: { left: number; top: number; right: number; bottom: number };
  /** event pulses on the map (off in time travel) */
  pulses: boolean;
  onSelect(id: string | null): void;
  onViewChange(v: View): void;
}

export const MapView = forwardRef<MapHandle, Props>(function MapView({ layer, snapshot, selected, initialView, insets, pulses, onSelect, onViewChange }, ref) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const renderer = useRef<MapRenderer | null>(null);
  const layouts = useRef(new Map<LayerName, Layout>());
  const views = useRef(new Map<LayerName, View>());
  const pendingView = useRef<View | null>(initialView);
  const needsFit = useRef(!initialView);
  const [hover, setHover] = useState<{ id: string; x: number; y: number } | null>(null);
  const [hoverGroup, setHoverGroup] = useState<{ label: string; st: GroupStats; x: number; y: number } | null>(null);
  const cb = useRef({ onSelect, onViewChange });
  cb.current = { onSelect, onViewChange };

  useImperativeHandle(ref, () => ({
    get renderer() {
      return renderer.current;
    },
    fit: () => renderer.current?.fit(true),
    centreOn: (id) => renderer.current?.centreOn(id) ?? false,
    pulse: (id, color) => renderer.current?.pulse(id, color),
    zoom: (f) => {
      const r = renderer.current;
      if (r) r.zoomAt(r.width / 2, r.height / 2, f);
    },
  }));

  // renderer life cycle, size, input
  useEffect(() => {
    const c = canvas.current!;
    const r = new MapRenderer(c);
    renderer.current = r;
    r.onViewChange = (v) => cb.current.onViewChange(v);
    const ro = new ResizeObserver(() => {
      const b = wrap.current!.getBoundingClientRect();
      r.resize(b.width, b.height);
    });
    ro.observe(wrap.current!);
    const b = wrap.current!.getBoundingClientRect();
    r.resize(b.width, b.height);

    let drag: { x: number; y: number; moved: boolean; id: number } | null = null;
    const pos = (e: MouseEvent) => {
      const rect = c.getBoundingClientRect();
      return [e.clientX - rect.left, e.clientY - rect.top] as const;
    };
    const onDown = (e: PointerEvent) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, moved: false, id: e.pointerId };
      c.setPointerCapture(e.pointerId);
    };
    const onMove = (e: PointerEvent) => {
      if (drag) {
        const dx = e.clientX - drag.x;
        const dy = e.clientY - drag.y;
        if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
        drag.moved = true;
        drag.x = e.clientX;
        drag.y = e.clientY;
        r.panBy(dx, dy);
        c.style.cursor = 'grabbing';
        setHover(null);
        return;
      }
      const [x, y] = pos(e);
      const g = r.hitGroup(x, y);
      if (g || r.isAggregated()) {
        const st = g ? r.statsOf(r.layout!).get(g.id) : undefined;
        setHoverGroup(g && st ? { label: g.label, st, x, y } : null);
        setHover(null);
        c.style.cursor = g ? 'zoom-in' : 'grab';
        if (r.highlightGroup !== (g?.id ?? null)) {
          r.highlightGroup = g?.id ?? null;
          r.requestDraw();
        }
        return;
      }
      setHoverGroup(null);
      const it = r.hitTest(x, y);
      const id = it?.id ?? null;
      if (r.hover !== id) {
        r.hover = id;
        r.highlightGroup = it?.group ?? null;
        r.requestDraw();
      }
      c.style.cursor = it ? 'pointer' : 'grab';
      setHover(it ? { id: it.id, x, y } : null);
    };
    const onUp = (e: PointerEvent) => {
      if (!drag) return;
      const wasDrag = drag.moved;
      drag = null;
      c.releasePointerCapture(e.pointerId);
      c.style.cursor = 'grab';
      if (!wasDrag) {
        const [x, y] = pos(e);
        const g = r.hitGroup(x, y);
        if (g) {
          // a group opens into its entities
          r.openGroup(g);
          setHoverGroup(null);
          return;
        }
        if (r.isAggregated()) return;
        const it = r.hitTest(x, y);
        cb.current.onSelect(it ? it.id : null);
      }
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const [x, y] = pos(e);
      const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      r.zoomAt(x, y, Math.exp(-dy * 0.0015));
    };
    const onLeave = () => {
      r.hover = null;
      r.highlightGroup = null;
      r.requestDraw();
      setHover(null);
      setHoverGroup(null);
    };
    c.addEventListener('pointerdown', onDown);
    c.addEventListener('pointermove', onMove);
    c.addEventListener('pointerup', onUp);
    c.addEventListener('wheel', onWheel, { passive: false });
    c.addEventListener('pointerleave', onLeave);
    return () => {
      ro.disconnect();
      r.destroy();
      renderer.current = null;
      c.removeEventListener('pointerdown', onDown);
      c.removeEventListener('pointermove', onMove);
      c.removeEventListener('pointerup', onUp);
      c.removeEventListener('wheel', onWheel);
      c.removeEventListener('pointerleave', onLeave);
    };
  }, []);

  // layer switch: remember the view of the layer we leave
  const shownLayer = useRef<LayerName | null>(null);
  useEffect(() => {
    const r = renderer.current;
    if (!r || !snapshot) return;
    const switched = shownLayer.current !== layer;
    if (switched && shownLayer.current) views.current.set(shownLayer.current, r.view);
    // a stable layout: positions of the previous layout of this layer are kept
    const t0 = performance.now();
    const l = layoutLayer(layer, snapshot, layouts.current.get(layer));
    if (!shownLayer.current) performance.measure('living-map:first-layout', { start: t0, end: performance.now() });
    layouts.current.set(layer, l);
    r.setLayout(l);
    // a layer still on its way (the first part of a snapshot in two parts) is fitted when it comes
    const waiting = !!snapshot.meta.partial?.includes(layer);
    if (switched && !waiting) {
      shownLayer.current = layer;
      const v = pendingView.current ?? views.current.get(layer);
      pendingView.current = null;
      if (v && !needsFit.current) {
        r.setView(v);
        r.fitted = false;
      } else {
        r.setView(r.fitView());
        r.fitted = true;
      }
      needsFit.current = false;
    }
    if (!r.stats.firstDrawAt && l.items.length) r.drawNow();
  }, [layer, snapshot]);

  useEffect(() => {
    const r = renderer.current;
    if (!r) return;
    r.selected = selected;
    r.requestDraw();
  }, [selected]);

  // overlays opened or closed: fit again if fitted, and keep the selection out from under them
  const { left, top, right, bottom } = insets;
  useEffect(() => {
    const r = renderer.current;
    if (!r) return;
    r.setInsets({ left, top, right, bottom });
    if (selected) r.ensureVisible(selected);
  }, [left, top, right, bottom, selected]);

  useEffect(() => {
    renderer.current?.setPulsesEnabled(pulses);
  }, [pulses]);

  return (
    <div className="map" ref={wrap}>
      <canvas ref={canvas} data-testid="map-canvas" style={{ cursor: 'grab' }} />
      {hover && <Tooltip id={hover.id} snapshot={snapshot} x={hover.x} y={hover.y} />}
      {hoverGroup && (
        <div className="tooltip" style={{ left: hoverGroup.x + 16, top: hoverGroup.y + 16 }} role="tooltip" data-testid="group-tooltip">
          <div className="tt-title">{hoverGroup.label}</div>
          <div className="tt-id">click to open</div>
          <table>
            <tbody>
              <tr><td>{layer === 'agents' ? 'agents' : layer === 'city' ? 'microDAOs' : 'nodes'}</td><td>{fmt(hoverGroup.st.count)}</td></tr>
              <tr><td>{layer === 'city' ? 'active' : 'online'}</td><td>{fmt(hoverGroup.st.online)}</td></tr>
              <tr><td>{layer === 'city' ? 'inactive' : 'offline'}</td><td>{fmt(hoverGroup.st.offline)}</td></tr>
              {hoverGroup.st.warning > 0 && <tr><td>warning</td><td>{fmt(hoverGroup.st.warning)}</td></tr>}
              {hoverGroup.st.load >= 0 && <tr><td>mean load</td><td>{Math.round(hoverGroup.st.load * 100)}%</td></tr>}
              {hoverGroup.st.load >= 0 && <tr><td>hot (&gt; 85%)</td><td>{fmt(hoverGroup.st.hot)}</td></tr>}
              <tr><td>alerts firing</td><td>{fmt(hoverGroup.st.firing)}</td></tr>
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
});
