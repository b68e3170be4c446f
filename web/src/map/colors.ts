/** Wall-screen palette: dark background, saturated status colours readable at a distance. */
export const BG = '#070b16';
export const GRID = 'rgba(120,150,220,0.06)';
export const TEXT = '#e6edf7';
export const TEXT_DIM = '#8fa0bd';
export const ACCENT = '#22d3ee';
export const SELECT = '#f8fafc';

export const STATUS: Record<string, string> = {
  online: '#22c55e',
  active: '#22c55e',
  busy: '#38bdf8',
  idle: '#eab308',
  warning: '#f59e0b',
  inactive: '#64748b',
  offline: '#475569',
};
export const statusColor = (s: unknown) => STATUS[String(s)] ?? '#94a3b8';

/** Load 0..1 → colour in 11 steps (green → yellow → orange → red), for batching by colour. */
const LOAD_STOPS = [
  [34, 197, 94],
  [132, 204, 22],
  [234, 179, 8],
  [249, 115, 22],
  [239, 68, 68],
];
export const LOAD_STEPS = 11;
function lerpStops(t: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, t)) * (LOAD_STOPS.length - 1);
  const i = Math.min(LOAD_STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = LOAD_STOPS[i], b = LOAD_STOPS[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}
export const LOAD_COLORS: string[] = [];
export const LOAD_COLORS_DIM: string[] = [];
for (let i = 0; i < LOAD_STEPS; i++) {
  const [r, g, b] = lerpStops(i / (LOAD_STEPS - 1));
  LOAD_COLORS.push(`rgb(${r | 0},${g | 0},${b | 0})`);
  LOAD_COLORS_DIM.push(`rgba(${r | 0},${g | 0},${b | 0},0.22)`);
}
export const loadIndex = (v: number) => Math.max(0, Math.min(LOAD_STEPS - 1, Math.round((Number.isFinite(v) ? v : 0) * (LOAD_STEPS - 1))));
export const loadColor = (v: number) => LOAD_COLORS[loadIndex(v)];

export const PLANET: Record<string, [string, string]> = {
  platform: ['#a78bfa', '#4c1d95'],
  dao: ['#60a5fa', '#1e3a8a'],
  other: ['#94a3b8', '#334155'],
};

export const EVENT_COLORS: Record<string, string> = {
  node: '#f97316',
  agent: '#22c55e',
  usage: '#38bdf8',
  dao: '#a78bfa',
  microdao: '#f472b6',
  city: '#facc15',
  messaging: '#2dd4bf',
  living_map: '#e2e8f0',
};
export const eventColor = (type: string) => EVENT_COLORS[type.split('.')[0]] ?? '#cbd5e1';
