/**
 * React binding: `useLivingMapFull(options?)`. Import from `@daarion/living-map-client/react`.
 *
 * A drop-in for DAARION's original `useLivingMapFull` (Phase 9A): the result's
 * `{snapshot, isLoading, error, connectionStatus, refetch}` follow the original's documented types
 * exactly, and the snapshot moves with every stream event. The client's richer state is there too,
 * under names of its own (`streamStatus`, `lastError`, `lastResync`, `events`, `seq`, `epoch`,
 * `client`).
 */
import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import { LivingMapClient, type LivingMapClientOptions, type LivingMapState } from './client.js';
import type { ConnectionStatus, LivingMapEvent, LivingMapSnapshot, ResyncInfo } from './types.js';

export type { ConnectionStatus, LivingMapEvent, LivingMapSnapshot, ResyncInfo, Snapshot } from './types.js';
export type { LivingMapClientOptions, LivingMapState } from './client.js';

/**
 * The original hook's connection status:
 * - `connecting`: the stream is not open yet, or dropped and the hook is reconnecting by itself
 *   (a snapshot already shown stays shown, and is brought up to date once the stream is back);
 * - `open`: the stream is open and events are being applied;
 * - `closed`: no stream: the hook was stopped (unmounted) or runs with `live: false`;
 * - `error`: there is nothing to show and the last attempt failed (`error` says why); the hook
 *   keeps retrying, and a later success brings the status to `open`.
 */
export type LivingMapConnectionStatus = 'connecting' | 'open' | 'closed' | 'error';

/** The original hook's result, exactly (DAARION Phase 9A). */
export interface UseLivingMapFullResult {
  snapshot: LivingMapSnapshot | null;
  /** True until a snapshot or an error arrives; never true again once a snapshot is held. */
  isLoading: boolean;
  /**
   * Why no data can be shown, or null. Null whenever a snapshot is held, including while the
   * client reconnects or re-synchronises: those show in `connectionStatus`, `streamStatus`,
   * `lastError` and `lastResync`, and the map stays up.
   */
  error: string | null;
  connectionStatus: LivingMapConnectionStatus;
  /** Fetch the snapshot over HTTP. Never rejects: a failure shows in `error` (if nothing is shown) and `lastError`. */
  refetch: () => Promise<void>;
}

export interface UseLivingMapOptions extends LivingMapClientOptions {
  /** Connect the stream (default true). With false only the HTTP snapshot is fetched. */
  live?: boolean;
  /** Use an existing client instead of creating one (its options win). */
  client?: LivingMapClient;
}

/** The original result plus the client's richer state, under names of their own. */
export interface UseLivingMapResult extends UseLivingMapFullResult {
  /** The client's detailed status: `idle | connecting | connected | reconnecting | disconnected | error`. */
  streamStatus: ConnectionStatus;
  /** The most recent problem as an `Error`, also while a snapshot is shown (`LivingMapState.error`). */
  lastError: Error | null;
  /** Why and when the client last re-synchronised. */
  lastResync: ResyncInfo | null;
  /** Recent events, newest first. */
  events: LivingMapEvent[];
  seq?: number;
  epoch?: string;
  client: LivingMapClient;
}

/** The original contract's `{isLoading, error, connectionStatus}` for a client state. Pure. */
export function contractView(
  state: Pick<LivingMapState, 'snapshot' | 'error' | 'connectionStatus'>,
  live = true,
): Pick<UseLivingMapFullResult, 'isLoading' | 'error' | 'connectionStatus'> {
  const error = state.snapshot === null && state.error ? state.error.message || String(state.error) : null;
  let connectionStatus: LivingMapConnectionStatus;
  if (state.connectionStatus === 'connected') connectionStatus = 'open';
  else if (error !== null || state.connectionStatus === 'error') connectionStatus = 'error';
  else if (state.connectionStatus === 'disconnected' || (state.connectionStatus === 'idle' && !live)) connectionStatus = 'closed';
  else connectionStatus = 'connecting';
  return { isLoading: state.snapshot === null && error === null, error, connectionStatus };
}

/**
 * `useLivingMapFull()` with no options talks to the page's own origin (`/living-map/...`); pass
 * `baseUrl` (e.g. `http://localhost:7017`, where the original hook looked) to reach another.
 * A new client is made when `baseUrl`, `apiPrefix`, `streamUrl` or the filters change.
 */
export function useLivingMapFull(options: UseLivingMapOptions = {}): UseLivingMapResult {
  const { live = true, client: given, ...clientOptions } = options;
  const key = JSON.stringify([clientOptions.baseUrl, clientOptions.apiPrefix, clientOptions.streamUrl, clientOptions.filters]);
  const optsRef = useRef(clientOptions);
  optsRef.current = clientOptions;
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const client = useMemo(() => given ?? new LivingMapClient(optsRef.current), [given, key]);

  useEffect(() => {
    if (live) {
      client.start();
      return () => client.stop();
    }
    client.refetch().catch(() => undefined);
    return undefined;
  }, [client, live]);

  const subscribe = useCallback((cb: () => void) => client.subscribe(cb), [client]);
  const state: LivingMapState = useSyncExternalStore(subscribe, () => client.getState(), () => client.getState());
  const refetch = useCallback(async () => {
    try {
      await client.refetch();
    } catch {
      // the client put the failure in its state: `error` (when nothing is shown) and `lastError`
    }
  }, [client]);

  return {
    snapshot: state.snapshot,
    ...contractView(state, live),
    refetch,
    streamStatus: state.connectionStatus,
    lastError: state.error,
    lastResync: state.lastResync,
    events: state.events,
    seq: state.seq,
    epoch: state.epoch,
    client,
  };
}

export { LivingMapClient };
