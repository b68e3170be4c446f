/** The shareable part of the UI state, kept in the URL hash: `#layer=nodes&sel=node:gpu-1&view=x,y,zoom&t=ISO&diff=ISO~ISO`. */
import type { LayerName } from '@daarion/living-map-client';
import type { View } from './map/renderer';

export interface UrlState {
  layer: LayerName;
  selected: string | null;
  view: View | null;
  time: string | null;
  /** the "what changed" view: from and to instants */
  diff?: { from: string; to: string } | null;
}

const LAYERS: LayerName[] = ['city', 'space', 'nodes', 'agents'];

export function parseHash(hash: string): UrlState {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const layer = LAYERS.includes(p.get('layer') as LayerName) ? (p.get('layer') as LayerName) : 'city';
  let view: View | null = null;
  const v = p.get('view')?.split(',').map(Number);
  if (v && v.length === 3 && v.every(Number.isFinite) && v[2] > 0) view = { x: v[0], y: v[1], zoom: v[2] };
  const t = p.get('t');
  const d = p.get('diff')?.split('~');
  const diff = d && d.length === 2 && d.every((x) => !Number.isNaN(Date.parse(x))) ? { from: d[0], to: d[1] } : null;
  return { layer, selected: p.get('sel') || null, view, time: t && !Number.isNaN(Date.parse(t)) ? t : null, diff };
}

export function formatHash(s: UrlState): string {
  const p = new URLSearchParams();
  p.set('layer', s.layer);
  if (s.selected) p.set('sel', s.selected);
  if (s.view) p.set('view', `${s.view.x.toFixed(1)},${s.view.y.toFixed(1)},${s.view.zoom.toPrecision(4)}`);
  if (s.time) p.set('t', s.time);
  if (s.diff) p.set('diff', `${s.diff.from}~${s.diff.to}`);
  return '#' + p.toString().replace(/%3A/gi, ':').replace(/%2C/gi, ',').replace(/%7E/gi, '~');
}
