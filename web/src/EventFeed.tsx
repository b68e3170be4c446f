import { useEffect, useMemo, useRef, useState } from 'react';
import type { LivingMapEvent } from '@daarion/living-map-client';
import { eventColor, EVENT_COLORS } from './map/colors';

const pct = (v: unknown) => (typeof v === 'number' ? `${Math.round(v * 100)}%` : '?');

export function eventSummary(e: LivingMapEvent): string {
  const p = (e.payload ?? {}) as Record<string, any>;
  const t = e.event_type;
  if (t.startsWith('node.metrics')) return `cpu ${pct(p.cpu)} · gpu ${pct(p.gpu)}${p.temperature != null ? ` · ${p.temperature}°C` : ''}`;
  if (t.startsWith('agent.event')) return p.status ? `→ ${p.status}` : '';
  if (t.startsWith('usage.llm')) return `${p.total_tokens ?? '?'} tokens · ${p.model ?? ''}`;
  if (t.startsWith('usage.agent')) return `${p.trigger ?? ''} ${p.duration_ms != null ? p.duration_ms + ' ms' : ''}`;
  if (t.startsWith('dao.event')) return p.title ?? p.final_status ?? (p.new_balance ? `treasury ${p.new_balance}` : p.vote_value ?? '');
  if (t.startsWith('microdao.event')) return p.role ?? p.token_symbol ?? '';
  if (t.startsWith('city.event')) return p.label ?? p.type ?? '';
  if (t.startsWith('living_map.alert.')) return [p.severity, p.message ?? p.rule, p.acked_by ? `by ${p.acked_by}` : ''].filter(Boolean).join(' · ');
  return '';
}

const GROUPS = Object.keys(EVENT_COLORS);
const FEED_MS = 500;
const FEED_ROWS = 50;

/** A stable key, so that the list does not rebuild its rows on every update. */
const keys = new WeakMap<LivingMapEvent, string>();
let nextKey = 0;
function eventKey(e: LivingMapEvent): string {
  if (e.seq !== undefined) return 's' + e.seq;
  let k = keys.get(e);
  if (!k) keys.set(e, (k = 'k' + nextKey++));
  return k;
}

interface Props {
  events: LivingMapEvent[];
  /** the instant shown in time travel: the list then holds the events up to it, not live ones */
  past: string | null;
  rate: number;
  /** seconds the rate averages over */
  rateWindow: number;
  onSelect(id: string): void;
  hidden: Set<string>;
  setHidden(s: Set<string>): void;
}

export function EventFeed({ events, past, rate, rateWindow, onSelect, hidden, setHidden }: Props) {
  const [paused, setPaused] = useState(false);
  // the list follows the stream at most FEED_MS apart: at thousands of events a second a
  // re-render per batch costs the map its frames and nobody can read that fast anyway
  const latest = useRef(events);
  latest.current = events;
  const [throttled, setThrottled] = useState(events);
  useEffect(() => {
    const id = setInterval(() => setThrottled((cur) => (cur === latest.current ? cur : latest.current)), FEED_MS);
    return () => clearInterval(id);
  }, []);
  events = past ? events : throttled;
  const [frozen, setFrozen] = useState<LivingMapEvent[]>([]);
  const shown = useMemo(() => (paused && !past ? frozen : events).filter((e) => !hidden.has(e.event_type.split('.')[0])).slice(0, FEED_ROWS), [events, frozen, paused, hidden, past]);
  const toggle = (g: string) => {
    const s = new Set(hidden);
    if (s.has(g)) s.delete(g);
    else s.add(g);
    setHidden(s);
  };
  return (
    <aside className={'feed' + (past ? ' past' : '')} aria-label={past ? 'Events up to the time shown' : 'Live events'} data-testid="feed">
      <header>
        {past ? (
          <h2 data-testid="feed-title" data-time={past} title="Live events are paused while you view the past">
            Events up to {new Date(past).toLocaleTimeString()}
          </h2>
        ) : (
          <>
            <h2 data-testid="feed-title">Live events</h2>
            <span className="muted" title={`average over the last ${rateWindow} s`}>
              {rate.toFixed(1)}/s · {rateWindow} s avg
            </span>
            <button className="small" onClick={() => (setFrozen(events), setPaused(!paused))} title="Pause the list (the map stays live)">
              {paused ? '▶' : '❚❚'}
            </button>
          </>
        )}
      </header>
      {past && <p className="feed-note muted">Live events paused: time travel.</p>}
      <div className="chips" role="group" aria-label="Event type filters">
        {GROUPS.map((g) => (
          <button key={g} className={'chip' + (hidden.has(g) ? ' off' : '')} style={{ ['--c' as any]: EVENT_COLORS[g] }} onClick={() => toggle(g)} aria-pressed={!hidden.has(g)}>
            {g.replace('living_map', 'map')}
          </button>
        ))}
      </div>
      <ul data-testid="event-feed" className={rate > 20 ? 'calm' : undefined}>
        {shown.map((e) => (
          <li key={eventKey(e)} className="ev" data-ts={e.timestamp}>
            <span className="ev-bar" style={{ background: eventColor(e.event_type) }} />
            <div>
              <div className="ev-line">
                <span className="ev-type" style={{ color: eventColor(e.event_type) }}>
                  {e.event_type}
                </span>
                <span className="ev-time">{new Date(e.timestamp).toLocaleTimeString()}</span>
              </div>
              <div className="ev-line">
                {e.entity_id ? (
                  <a href="#" onClick={(ev) => (ev.preventDefault(), onSelect(String(e.entity_id)))}>
                    {String(e.entity_id)}
                  </a>
                ) : (
                  <span />
                )}
                <span className="ev-sum">{eventSummary(e)}</span>
              </div>
            </div>
          </li>
        ))}
        {shown.length === 0 && <li className="muted">{past ? 'No events in the hour before this time.' : 'Waiting for events…'}</li>}
      </ul>
    </aside>
  );
}
