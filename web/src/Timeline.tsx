import { memo, useEffect, useRef, useState } from 'react';
import type { HistoryBucket, LivingMapClient } from '@daarion/living-map-client';

interface Props {
  client: LivingMapClient;
  time: string | null;
  playing: boolean;
  speed: number;
  loading: boolean;
  onTime(t: string | null): void;
  onPlaying(p: boolean): void;
  onSpeed(s: number): void;
}

const SPEEDS = [1, 5, 15, 30, 60];

function bucketFor(rangeMs: number): string {
  if (rangeMs <= 4 * 3600e3) return '1m';
  if (rangeMs <= 24 * 3600e3) return '5m';
  if (rangeMs <= 7 * 86400e3) return '1h';
  return '1d';
}

/** Memoised: the app re-renders on every batch of events, the timeline only when its props change. */
export const Timeline = memo(function Timeline({ client, time, playing, speed, loading, onTime, onPlaying, onSpeed }: Props) {
  const [range, setRange] = useState<{ start: number; end: number } | null>(null);
  const [buckets, setBuckets] = useState<HistoryBucket[]>([]);
  const [drag, setDrag] = useState<number | null>(null);
  const [now, setNow] = useState(Date.now());
  const [err, setErr] = useState<string | null>(null);
  const debounce = useRef<ReturnType<typeof setTimeout>>();

  // the range: from the oldest stored snapshot to now; refreshed every 30 s
  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const snaps = await client.fetchStoredSnapshots();
        const end = Date.now();
        const times = snaps.map((s) => Date.parse(s.generated_at)).filter(Number.isFinite);
        const start = times.length ? Math.min(...times) : end - 3600e3;
        if (!alive) return;
        setRange({ start, end });
        setErr(null);
        const b = await client.fetchHistoryStats(new Date(start).toISOString(), new Date(end).toISOString(), bucketFor(end - start)).catch(() => []);
        if (alive) setBuckets(b);
      } catch (e) {
        if (alive) setErr('history unavailable');
      }
    };
    load();
    const id = setInterval(load, 30000);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      alive = false;
      clearInterval(id);
      clearInterval(tick);
    };
  }, [client]);

  const start = range?.start ?? now - 3600e3;
  const end = Math.max(now, range?.end ?? now);
  const cur = drag ?? (time ? Date.parse(time) : end);
  const frac = (v: number) => Math.max(0, Math.min(1, (v - start) / Math.max(1, end - start)));
  const max = Math.max(1, ...buckets.map((b) => b.count));

  const onInput = (v: number) => {
    setDrag(v);
    clearTimeout(debounce.current);
    debounce.current = setTimeout(() => {
      setDrag(null);
      if (v >= end - 2000) onTime(null);
      else onTime(new Date(v).toISOString());
    }, 120);
  };

  return (
    <div className="timeline" data-testid="timeline">
      <button className={'live-btn' + (time ? '' : ' on')} onClick={() => (onPlaying(false), onTime(null))} title="Return to live" data-testid="go-live">
        ● LIVE
      </button>
      <button className="small" onClick={() => (time ? onPlaying(!playing) : (onTime(new Date(Math.max(start, end - 15 * 60e3)).toISOString()), onPlaying(true)))} title={playing ? 'Pause' : 'Play back from here (or from 15 min ago)'} data-testid="play">
        {playing ? '❚❚' : '▶'}
      </button>
      <select value={speed} onChange={(e) => onSpeed(Number(e.target.value))} aria-label="Playback speed">
        {SPEEDS.map((s) => (
          <option key={s} value={s}>
            {s}×
          </option>
        ))}
      </select>
      <div className="track">
        <div className="hist" aria-hidden>
          {buckets.map((b) => {
            const t = Date.parse(b.start);
            return <span key={b.start} style={{ left: `${frac(t) * 100}%`, height: `${Math.max(4, (b.count / max) * 100)}%` }} />;
          })}
        </div>
        <input
          type="range"
          min={start}
          max={end}
          step={1000}
          value={cur}
          onChange={(e) => onInput(Number(e.target.value))}
          aria-label="Time"
          data-testid="time-slider"
        />
        <div className="labels">
          <span>{new Date(start).toLocaleTimeString()}</span>
          <span>{err ?? ''}</span>
          <span>now</span>
        </div>
      </div>
      <div className={'time-read' + (time ? ' past' : '')} data-testid="time-readout">
        {time || drag ? new Date(cur).toLocaleString() : 'Live'}
        {loading && <span className="spin" />}
      </div>
    </div>
  );
});
