import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { applyEvents, LivingMapClient, type Alert, type LayerName, type LivingMapEvent, type Snapshot } from '@daarion/living-map-client';
import { useLivingMapFull } from '@daarion/living-map-client/react';
import { earlyStreamFactory } from './earlyStream';
import { loadConfig } from './config';
import { formatHash, parseHash } from './urlState';
import { indexEntities, search as searchEntities } from './entities';
import { MapView, type MapHandle } from './MapView';
import type { View } from './map/renderer';
import { fmt } from './map/renderer';
import { eventColor } from './map/colors';
import { Details } from './Details';
import { EventFeed } from './EventFeed';
import { Timeline } from './Timeline';
import { Legend } from './Legend';
import { AlertsPanel } from './AlertsPanel';
import { DiffPanel } from './DiffPanel';
import { DIFF_COLORS, diffMarks, fetchDiff, type Diff, type DiffRange } from './diff';
import { applyAlertEventToList, countBySeverity, severityColor } from './alerts';

const LAYERS: { id: LayerName; label: string }[] = [
  { id: 'city', label: 'City' },
  { id: 'space', label: 'Space' },
  { id: 'nodes', label: 'Nodes' },
  { id: 'agents', label: 'Agents' },
];

/** the window the events/s figure averages over */
const RATE_WINDOW_S = 10;

const STATUS_TEXT: Record<string, string> = {
  idle: 'Idle',
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
  disconnected: 'Offline',
  error: 'Error',
};

declare global {
  interface Window {
    __livingMap?: Record<string, unknown>;
  }
}

export function App() {
  const initial = useMemo(() => parseHash(location.hash), []);
  const config = useMemo(loadConfig, []);
  const client = useMemo(() => {
    const c = new LivingMapClient({ ...config, batch: true, batchMs: 100, maxEvents: 300, webSocketFactory: earlyStreamFactory() });
    // connect during the first render rather than after it is committed (the hook's effect,
    // which finds it started): the snapshot is on its way while React builds the page
    c.start();
    return c;
  }, [config]);
  const live = useLivingMapFull({ client });

  const [layer, setLayer] = useState<LayerName>(initial.layer);
  const [selected, setSelected] = useState<string | null>(initial.selected);
  const [time, setTime] = useState<string | null>(initial.time);
  const [past, setPast] = useState<Snapshot | null>(null);
  const [pastLoading, setPastLoading] = useState(false);
  const [pastError, setPastError] = useState<string | null>(null);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(15);
  const [query, setQuery] = useState('');
  const [hiddenTypes, setHiddenTypes] = useState<Set<string>>(new Set());
  const [rate, setRate] = useState(0);
  const [lastEventAt, setLastEventAt] = useState<string | null>(null);
  const [pastEvents, setPastEvents] = useState<LivingMapEvent[]>([]);
  const [alerts, setAlerts] = useState<readonly Alert[]>([]);
  const [alertsError, setAlertsError] = useState<string | null>(null);
  const [alertsOpen, setAlertsOpen] = useState(false);
  const [hiddenSeverities, setHiddenSeverities] = useState<Set<string>>(new Set());
  const [diffRange, setDiffRange] = useState<DiffRange | null>(initial.diff ?? null);
  const [diffOpen, setDiffOpen] = useState(!!initial.diff);
  const [diff, setDiff] = useState<Diff | null>(null);
  const [diffLoading, setDiffLoading] = useState(false);
  const [diffError, setDiffError] = useState<string | null>(null);
  const view = useRef<View | null>(initial.view);
  const map = useRef<MapHandle>(null);
  const searchBox = useRef<HTMLInputElement>(null);

  const shown = time ? past : live.snapshot;
  // the id index is only needed for a selection or a search: not rebuilt per update otherwise
  const needIndex = !!selected || !!query || alertsOpen || diffOpen;
  const index = useMemo(() => (needIndex ? indexEntities(shown) : new Map()), [shown, needIndex]);

  // ---- URL ------------------------------------------------------------------------------
  const hashTimer = useRef<ReturnType<typeof setTimeout>>();
  const writeHash = useCallback(() => {
    clearTimeout(hashTimer.current);
    hashTimer.current = setTimeout(() => {
      const h = formatHash({ layer, selected, view: view.current, time, diff: diffOpen ? diffRange : null });
      if (h !== location.hash) history.replaceState(null, '', h);
    }, 250);
  }, [layer, selected, time, diffOpen, diffRange]);
  useEffect(writeHash, [writeHash]);
  useEffect(() => {
    const onHash = () => {
      const s = parseHash(location.hash);
      setLayer(s.layer);
      setSelected(s.selected);
      setTime(s.time);
      setDiffRange(s.diff ?? null);
      setDiffOpen(!!s.diff);
      if (s.view) map.current?.renderer?.setView(s.view, false);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const onViewChange = useCallback(
    (v: View) => {
      view.current = v;
      writeHash();
    },
    [writeHash],
  );

  // ---- live events: pulse what changed, measure the rate ---------------------------------
  const timeRef = useRef(time);
  timeRef.current = time;
  useEffect(() => {
    let count = 0;
    let latest = '';
    const off = client.onEvents((batch: LivingMapEvent[]) => {
      count += batch.length;
      for (const e of batch) if (e.timestamp > latest) latest = e.timestamp;
      if (timeRef.current) return;
      for (const e of batch) if (e.entity_id) map.current?.pulse(String(e.entity_id), eventColor(e.event_type));
      const al = batch.filter((e) => e.event_type.startsWith('living_map.alert.'));
      if (al.length) {
        setAlerts((l) => al.reduce(applyAlertEventToList, l));
        for (const e of al) if (e.event_type === 'living_map.alert.firing' && e.entity_id) map.current?.renderer?.alertFired(String(e.entity_id));
      }
    });
    // events/s over a sliding RATE_WINDOW_S window, refreshed every second: a steady figure
    // that still follows a real change within the window
    const window: { t: number; n: number }[] = [];
    const started = performance.now();
    const id = setInterval(() => {
      const now = performance.now();
      window.push({ t: now, n: count });
      count = 0;
      while (window.length && window[0].t <= now - RATE_WINDOW_S * 1000) window.shift();
      const span = Math.min(RATE_WINDOW_S, (now - started) / 1000);
      setRate(window.reduce((a, w) => a + w.n, 0) / Math.max(1, span));
      if (latest) setLastEventAt(latest);
    }, 1000);
    return () => {
      off();
      clearInterval(id);
    };
  }, [client]);

  // ---- alerts: the list on load and on every (re)connection, then every 30 s (silences have
  // no events); stream events keep it live in between -----------------------------------------
  const connected = live.streamStatus === 'connected';
  useEffect(() => {
    let cancelled = false;
    const load = () =>
      client
        // pending and firing: a pending alert is one about to fire
        .fetchAlerts({ state: 'active', limit: 500 })
        .then((r) => {
          if (cancelled) return;
          setAlerts(r.items);
          setAlertsError(null);
        })
        .catch((e) => !cancelled && setAlertsError(String(e.message ?? e)));
    load();
    const id = setInterval(load, 30000);
    return () => {
      cancelled = true;
      clearInterval(id);
    };
    // opening the panel reloads too: pending alerts have no events of their own
  }, [client, connected, alertsOpen]);
  useEffect(() => {
    map.current?.renderer?.setHiddenSeverities(hiddenSeverities);
  }, [hiddenSeverities]);
  const onAcked = useCallback((a: Alert) => setAlerts((l) => l.map((x) => (x.id === a.id ? { ...x, ...a } : x))), []);
  const alertCounts = useMemo(() => countBySeverity(alerts), [alerts]);
  const alertTotal = alertCounts.critical + alertCounts.warning + alertCounts.info;
  const topSeverity = alertCounts.critical ? 'critical' : alertCounts.warning ? 'warning' : alertCounts.info ? 'info' : null;

  // ---- what changed ------------------------------------------------------------------------
  useEffect(() => {
    if (!diffOpen || !diffRange) {
      setDiff(null);
      setDiffError(null);
      return;
    }
    const ac = new AbortController();
    setDiffLoading(true);
    setDiffError(null);
    setDiff(null);
    fetchDiff(config, diffRange, ac.signal, (partial) => !ac.signal.aborted && setDiff(partial))
      .then((d) => !ac.signal.aborted && setDiff(d))
      .catch((e) => {
        if (ac.signal.aborted) return;
        setDiff(null);
        setDiffError(`Could not compare: ${e.message ?? e}`);
      })
      .finally(() => !ac.signal.aborted && setDiffLoading(false));
    return () => ac.abort();
  }, [config, diffOpen, diffRange]);
  useEffect(() => {
    map.current?.renderer?.setDiffMarks(diffOpen ? diffMarks(diff) : new Map(), DIFF_COLORS);
  }, [diff, diffOpen, layer]);
  const toggleDiff = useCallback(() => {
    setDiffOpen((o) => {
      if (!o) {
        setAlertsOpen(false);
        // opened without a range: the last 5 minutes
        setDiffRange((r) => r ?? { from: new Date(Date.now() - 5 * 60e3).toISOString(), to: new Date().toISOString() });
      }
      return !o;
    });
  }, []);

  // ---- time travel -----------------------------------------------------------------------
  const play = useRef<{ base: Snapshot; snap: Snapshot; baseT: number; events: LivingMapEvent[]; applied: number; end: number; loading: boolean } | null>(null);
  useEffect(() => {
    if (!time) {
      setPast(null);
      setPastError(null);
      play.current = null;
      return;
    }
    if (playing) return; // the player drives `past`
    let cancelled = false;
    setPastLoading(true);
    client
      .fetchSnapshot(time)
      .then((s) => {
        if (cancelled) return;
        setPast(s);
        setPastError(null);
      })
      .catch((e) => !cancelled && setPastError(String(e.message ?? e)))
      .finally(() => !cancelled && setPastLoading(false));
    return () => {
      cancelled = true;
    };
  }, [client, time, playing]);

  // the feed in time travel: the events that led to the instant shown, not live ones
  useEffect(() => {
    if (!time) {
      setPastEvents([]);
      return;
    }
    if (playing) return;
    let cancelled = false;
    const until = new Date(Date.parse(time) + 1).toISOString();
    client
      .fetchHistory({ until, since: new Date(Date.parse(time) - 3600e3).toISOString(), limit: 80 })
      .then((h) => !cancelled && setPastEvents(h.items.slice().sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp) || (b.seq ?? 0) - (a.seq ?? 0))))
      .catch(() => !cancelled && setPastEvents([]));
    return () => {
      cancelled = true;
    };
  }, [client, time, playing]);

  // playback: a stored snapshot at the start of each segment plus the history events in it
  useEffect(() => {
    if (!playing || !time) return;
    let t = Date.parse(time);
    let stopped = false;
    const loadSegment = async (from: number) => {
      // a stored snapshot at the segment's start, then the history events in it (oldest first);
      // the window shrinks until the history fits in one page
      let len = Math.max(10_000, speed * 10_000);
      const snapP = client.fetchSnapshot(new Date(from).toISOString());
      let items: LivingMapEvent[] = [];
      for (let tries = 0; tries < 4; tries++) {
        const h = await client
          .fetchHistory({ since: new Date(from).toISOString(), until: new Date(from + len).toISOString(), limit: 1000 })
          .catch(() => ({ items: [] as LivingMapEvent[], has_more: false }));
        items = h.items;
        if (!h.has_more || len <= 2000) break;
        len = Math.max(2000, len / 4);
      }
      const snap = await snapP;
      const events = items.slice().sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp) || (a.seq ?? 0) - (b.seq ?? 0));
      return { base: snap, snap, baseT: from, events, applied: 0, end: from + len, loading: false };
    };
    const step = async () => {
      if (stopped) return;
      t += 250 * speed;
      if (t >= Date.now() - 1000) {
        setPlaying(false);
        setTime(null);
        return;
      }
      let p = play.current;
      if (!p || t >= p.end || t < p.baseT) {
        if (p?.loading) return;
        if (p) p.loading = true;
        try {
          p = play.current = await loadSegment(t);
        } catch (e) {
          setPastError(String((e as Error).message ?? e));
          setPlaying(false);
          return;
        }
        if (stopped) return;
      }
      let i = p.applied;
      while (i < p.events.length && Date.parse(p.events[i].timestamp) <= t) i++;
      const fresh = p.applied === 0 && p.snap === p.base;
      const snap = i > p.applied ? applyEvents(p.snap, p.events.slice(p.applied, i)) : fresh ? p.base : null;
      if (snap) p.snap = snap;
      p.applied = i;
      timeRef.current = new Date(t).toISOString();
      setTime(timeRef.current);
      if (snap) setPast(snap);
      if (i > 0) setPastEvents(p.events.slice(Math.max(0, i - 80), i).reverse());
    };
    const id = setInterval(step, 250);
    return () => {
      stopped = true;
      clearInterval(id);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [playing, speed, client]);

  // ---- selection, search, keys -------------------------------------------------------------
  const select = useCallback(
    (id: string | null) => {
      setSelected(id);
      if (!id) return;
      const e = indexEntities(time ? past : client.getState().snapshot).get(id);
      if (e && !e.layers.includes(layer)) setLayer(e.layers[0]);
      // centre after the layer's layout exists
      requestAnimationFrame(() => requestAnimationFrame(() => map.current?.centreOn(id)));
    },
    [client, layer, past, time],
  );
  const onMapSelect = useCallback((id: string | null) => setSelected(id), []);

  const results = useMemo(() => searchEntities(index, query), [index, query]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) {
        if (e.key === 'Escape') t.blur();
        return;
      }
      const n = Number(e.key);
      if (n >= 1 && n <= 4) setLayer(LAYERS[n - 1].id);
      else if (e.key === 'f' || e.key === '0') map.current?.fit();
      else if (e.key === 'a') setAlertsOpen((o) => !o);
      else if (e.key === 'd') toggleDiff();
      else if (e.key === '/') {
        e.preventDefault();
        searchBox.current?.focus();
      } else if (e.key === 'Escape') setSelected(null);
      else if (e.key === '+' || e.key === '=') map.current?.zoom(1.25);
      else if (e.key === '-') map.current?.zoom(0.8);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [toggleDiff]);
  useEffect(() => {
    if (alertsOpen) setDiffOpen(false);
  }, [alertsOpen]);

  // when the first snapshot reached the app (the benchmark splits its first draw with it)
  const firstSnapshotAt = useRef(0);
  if (live.snapshot && !firstSnapshotAt.current) {
    firstSnapshotAt.current = performance.now();
    performance.mark('living-map:first-snapshot-render');
  }

  // hooks for the e2e test and the benchmark
  useEffect(() => {
    window.__livingMap = {
      // a getter: this object is built before the snapshot arrives and not again until some other dependency changes
      get firstSnapshotAt() {
        return firstSnapshotAt.current;
      },
      client,
      get renderer() {
        return map.current?.renderer;
      },
      diff: () => ({ open: diffOpen, range: diffRange, diff }),
      state: () => ({ layer, selected, time, seq: client.getState().seq, status: client.getState().connectionStatus, hasPast: !!past, alertsOpen, hiddenSeverities: [...hiddenSeverities] }),
      alerts: () => alerts,
      /** alert badges drawn in the last frame, in page pixels */
      badges: () => {
        const r = map.current?.renderer;
        if (!r) return [];
        const rect = r.canvas.getBoundingClientRect();
        return r.badges.map((b) => ({ ...b, x: b.x + rect.left, y: b.y + rect.top }));
      },
      screenPos: (id: string) => {
        const r = map.current?.renderer;
        const it = r?.layout?.byId.get(id);
        if (!r || !it) return null;
        const [x, y] = r.worldToScreen(it.x, it.y);
        const rect = r.canvas.getBoundingClientRect();
        return { x: x + rect.left, y: y + rect.top, size: it.size * r.view.zoom };
      },
    };
  }, [client, layer, selected, time, past, alerts, alertsOpen, hiddenSeverities, diffOpen, diffRange, diff]);

  const onTimelineTime = useCallback((t: string | null) => {
    setPlaying(false);
    setTime(t);
  }, []);

  // what the overlays cover, so that fitting and centring keep clear of them
  const legendRef = useRef<HTMLDivElement>(null);
  const [legendH, setLegendH] = useState(130);
  useLayoutEffect(() => {
    const el = legendRef.current;
    if (!el) return;
    const measure = () => setLegendH(el.offsetHeight + 14);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const insets = useMemo(() => ({ left: alertsOpen || diffOpen ? 408 : 0, top: time ? 52 : 0, right: selected ? 408 : 0, bottom: legendH }), [alertsOpen, diffOpen, time, selected, legendH]);

  const status = live.streamStatus;
  const sel = selected ? index.get(selected) ?? null : null;
  const names = useCallback((id: string) => index.get(id)?.name ?? id, [index]);
  const S = shown?.layers;
  const nodesOnline = S ? S.nodes.items.filter((n) => n.status !== 'offline').length : 0;
  // the first part of a snapshot in two parts is drawn before its agents layer has come
  const agentsPending = !!shown?.meta.partial?.includes('agents');

  return (
    <div className="app">
      <header className="top">
        <div className="brand">
          <span className="logo" />
          <span>
            DAARION <b>Living Map</b>
          </span>
        </div>
        <nav className="layers" aria-label="Layers">
          {LAYERS.map((l, i) => (
            <button key={l.id} className={layer === l.id ? 'on' : ''} onClick={() => setLayer(l.id)} data-layer={l.id} title={`${l.label} (key ${i + 1})`}>
              <kbd>{i + 1}</kbd> {l.label}
            </button>
          ))}
        </nav>
        <div className="search">
          <input
            ref={searchBox}
            placeholder="Search  ( / )"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && results[0]) {
                select(results[0].id);
                setQuery('');
                (e.target as HTMLInputElement).blur();
              }
            }}
            aria-label="Search entities"
            data-testid="search"
          />
          {query && (
            <ul className="results">
              {results.map((r) => (
                <li key={r.id}>
                  <button onMouseDown={(e) => (e.preventDefault(), select(r.id), setQuery(''))}>
                    <span className={`dot st-${r.status}`} /> {r.name} <span className="muted">{r.id}</span>
                  </button>
                </li>
              ))}
              {results.length === 0 && <li className="muted">No match</li>}
            </ul>
          )}
        </div>
        <button
          className={`alerts-btn ${alertsOpen ? 'on' : ''}`}
          onClick={() => setAlertsOpen((o) => !o)}
          data-testid="alerts-toggle"
          title="Alerts (A)"
          aria-pressed={alertsOpen}
        >
          Alerts <span className="n" style={{ ['--c' as string]: topSeverity ? severityColor(topSeverity) : undefined }}>{alertTotal}</span>
        </button>
        <button className={`alerts-btn diff-btn ${diffOpen ? 'on' : ''}`} onClick={toggleDiff} data-testid="diff-toggle" title="What changed (D)" aria-pressed={diffOpen}>
          Changes
        </button>
        <div className={`badge conn-${time ? 'past' : status}`} data-testid="connection" title={live.lastError?.message ?? ''}>
          <span className="pulse-dot" />
          {time ? 'Time travel' : STATUS_TEXT[status] ?? status}
        </div>
      </header>

      <main>
        <MapView ref={map} layer={layer} snapshot={shown} selected={selected} initialView={initial.view} insets={insets} pulses={!time} onSelect={onMapSelect} onViewChange={onViewChange} />
        {!shown && (
          <div className="overlay-msg">
            {live.error ? (
              <>
                <b>Cannot reach the Living Map service.</b>
                <span>{live.error}</span>
                <button onClick={() => live.refetch().catch(() => undefined)}>Retry</button>
              </>
            ) : time && pastError ? (
              <>
                <b>No stored state at that time.</b>
                <span>{pastError}</span>
              </>
            ) : (
              <span>Loading the map…</span>
            )}
          </div>
        )}
        {time && <div className="past-banner" data-testid="past-banner">Viewing {new Date(time).toLocaleString()} {pastError && `— ${pastError}`}</div>}
        <Legend layer={layer} ref={legendRef} />
        {alertsOpen && (
          <AlertsPanel
            alerts={alerts}
            loadError={alertsError}
            hidden={hiddenSeverities}
            setHidden={setHiddenSeverities}
            client={client}
            names={names}
            onSelect={select}
            onClose={() => setAlertsOpen(false)}
            onAcked={onAcked}
          />
        )}
        {diffOpen && (
          <DiffPanel
            range={diffRange}
            diff={diff}
            loading={diffLoading}
            error={diffError}
            timelineTime={time}
            names={names}
            onRange={setDiffRange}
            onSelect={select}
            onClose={() => setDiffOpen(false)}
          />
        )}
        <div className="zoom-ctl">
          <button onClick={() => map.current?.zoom(1.3)} aria-label="Zoom in">
            +
          </button>
          <button onClick={() => map.current?.zoom(1 / 1.3)} aria-label="Zoom out">
            −
          </button>
          <button onClick={() => map.current?.fit()} aria-label="Fit to screen" title="Fit (F)">
            ⤢
          </button>
        </div>
        {selected && <Details entity={sel} selectedId={selected} snapshot={shown} client={client} liveEvents={live.events} live={!time} names={names} onSelect={select} />}
      </main>

      <EventFeed events={time ? pastEvents : live.events} past={time} rate={rate} rateWindow={RATE_WINDOW_S} onSelect={select} hidden={hiddenTypes} setHidden={setHiddenTypes} />

      <Timeline client={client} time={time} playing={playing} speed={speed} loading={pastLoading} onTime={onTimelineTime} onPlaying={setPlaying} onSpeed={setSpeed} />

      <footer className="stats" data-testid="stats">
        {S ? (
          <>
            <Stat k="microDAOs" v={fmt(S.city.microdaos_total ?? S.city.items.length)} />
            <Stat k="active users" v={fmt(S.city.active_users)} />
            <Stat k="DAO planets" v={fmt(S.space.planets.length)} />
            <Stat k="nodes online" v={`${fmt(nodesOnline)} / ${fmt(S.nodes.items.length)}`} />
            <Stat k="agents online" v={agentsPending ? '…' : `${fmt(S.agents.online_agents)} / ${fmt(S.agents.total_agents ?? S.agents.items.length)}`} />
            <Stat k="LLM calls 24h" v={agentsPending ? '…' : fmt(S.agents.total_llm_calls_24h)} />
            <Stat k={`events/s · ${RATE_WINDOW_S} s avg`} v={rate.toFixed(1)} id="rate" />
            <Stat k="seq" v={String(shown?.seq ?? shown?.meta?.seq ?? '–')} />
            <Stat k={time ? 'viewing' : 'updated'} v={updatedText(time, shown?.generated_at, lastEventAt)} id="updated" />
          </>
        ) : (
          <span className="muted">No data yet</span>
        )}
      </footer>
    </div>
  );
}

/** Live: the time of the newest event applied (the snapshot's own time only until one arrives). */
function updatedText(time: string | null, generatedAt: string | undefined, lastEventAt: string | null): string {
  const t = time ?? (lastEventAt && (!generatedAt || lastEventAt > generatedAt) ? lastEventAt : generatedAt);
  return t && Number.isFinite(Date.parse(t)) ? new Date(t).toLocaleTimeString() : '–';
}

function Stat({ k, v, id }: { k: string; v: string; id?: string }) {
  return (
    <div className="stat" data-testid={id ? `stat-${id}` : undefined}>
      <span className="v">{v}</span>
      <span className="k">{k}</span>
    </div>
  );
}
