/**
 * A page written to the ORIGINAL `useLivingMapFull` contract (DAARION Phase 9A: `error: string |
 * null`, `connectionStatus: 'connecting' | 'open' | 'closed' | 'error'`), the way DAARION's 2D map
 * page uses it: a loading screen while `isLoading`, an error screen rendering `{error}` with a
 * Retry button, the map only when `!isLoading && !error`, a badge that is green only for
 * `connectionStatus === 'open'`, and "Last updated" from `snapshot.generated_at`. The one line that
 * names our package is the import; everything else would compile against the original hook.
 *
 * Used by the Vitest compatibility test (react.compat.test.tsx) and the browser e2e
 * (e2e/compat.e2e.mjs). Written by us from the documented contract, not copied.
 */
import { useEffect, useRef, useState } from 'react';
import { useLivingMapFull, type LivingMapSnapshot } from '@daarion/living-map-client/react';

type LayerType = 'city' | 'space' | 'nodes' | 'agents';

/** The original's documented result type, declared by the page itself as DAARION's Lite hook does. */
interface PageHookResult {
  snapshot: LivingMapSnapshot | null;
  isLoading: boolean;
  error: string | null;
  connectionStatus: 'connecting' | 'open' | 'closed' | 'error';
  refetch: () => Promise<void>;
  layer: LayerType;
  setLayer: (l: LayerType) => void;
}

function usePageState(): PageHookResult {
  const [layer, setLayer] = useState<LayerType>('nodes');
  const { snapshot, isLoading, error, connectionStatus, refetch } = useLivingMapFull();
  return { snapshot, isLoading, error, connectionStatus, refetch, layer, setLayer };
}

/** The entities of a layer as the original page finds them: `items`, or a space layer's planets and nodes. */
function entitiesOf(snapshot: LivingMapSnapshot, layer: LayerType): Array<{ id: string; name: string; status: string }> {
  if (layer === 'space') return [...snapshot.layers.space.planets, ...snapshot.layers.space.nodes];
  return snapshot.layers[layer].items;
}

function MapCanvas({ snapshot, layer }: { snapshot: LivingMapSnapshot | null; layer: LayerType }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext?.('2d');
    if (!canvas || !ctx || !snapshot) return; // no 2D context in a DOM without canvas support
    ctx.fillStyle = '#0f0f1e';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const items = entitiesOf(snapshot, layer);
    const cols = Math.max(1, Math.ceil(Math.sqrt(items.length)));
    const cell = Math.min(canvas.width, canvas.height) / cols;
    items.forEach((it, i) => {
      const cpu = layer === 'nodes' ? snapshot.layers.nodes.items[i]?.metrics.cpu ?? 0 : 0;
      ctx.fillStyle = it.status === 'online' || it.status === 'active' ? `rgb(${Math.round(40 + cpu * 200)}, 200, 90)` : '#71717a';
      ctx.fillRect((i % cols) * cell + 4, Math.floor(i / cols) * cell + 4, cell - 8, cell - 8);
    });
  }, [snapshot, layer]);
  return <canvas ref={ref} width={600} height={400} data-testid="canvas" />;
}

export function OriginalContractPage() {
  const { snapshot, isLoading, error, connectionStatus, refetch, layer, setLayer } = usePageState();
  return (
    <div className="page">
      {isLoading && <div data-testid="loading">Loading Living Map...</div>}
      {error && !isLoading && (
        <div data-testid="error">
          <div>Failed to load Living Map</div>
          <div>{error}</div>
          <button onClick={() => refetch()}>Retry</button>
        </div>
      )}
      {!isLoading && !error && <MapCanvas snapshot={snapshot} layer={layer} />}
      <div data-testid="status" className={connectionStatus === 'open' ? 'green' : connectionStatus === 'connecting' ? 'yellow' : 'red'}>
        {connectionStatus === 'open' ? 'Connected' : connectionStatus === 'connecting' ? 'Connecting...' : 'Disconnected'}
      </div>
      <nav>
        {(['city', 'space', 'nodes', 'agents'] as const).map((l) => (
          <button key={l} onClick={() => setLayer(l)} data-layer={l}>
            {l}
          </button>
        ))}
      </nav>
      {snapshot && (
        <aside>
          <ul data-testid="items">
            {layer === 'nodes'
              ? snapshot.layers.nodes.items.map((n) => (
                  <li key={n.id} data-id={n.id}>
                    {n.name} CPU {Math.round((n.metrics.cpu || 0) * 100)}%
                  </li>
                ))
              : entitiesOf(snapshot, layer).map((e) => (
                  <li key={e.id} data-id={e.id}>
                    {e.name}
                  </li>
                ))}
          </ul>
          <div data-testid="totals">
            Agents {snapshot.layers.agents.total_agents || 0} · microDAOs {snapshot.layers.city.microdaos_total || 0}
          </div>
          <div data-testid="sources">Sources: {snapshot.meta.source_services.join(', ')}</div>
          <div data-testid="updated" data-generated-at={snapshot.generated_at}>
            Last updated: {new Date(snapshot.generated_at).toLocaleTimeString()}
          </div>
        </aside>
      )}
    </div>
  );
}
