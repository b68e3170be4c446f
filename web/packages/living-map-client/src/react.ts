/** React binding: `useLivingMapFull(options)`. Import from `@daarion/living-map-client/react`. */
import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import { LivingMapClient, type LivingMapClientOptions, type LivingMapState } from './client.js';
import type { ConnectionStatus, LivingMapEvent, Snapshot } from './types.js';

export interface UseLivingMapOptions extends LivingMapClientOptions {
  /** Connect the stream (default true). With false only the HTTP snapshot is fetched. */
  live?: boolean;
  /** Use an existing client instead of creating one (its options win). */
  client?: LivingMapClient;
}

export interface UseLivingMapResult {
  snapshot: Snapshot | null;
  isLoading: boolean;
  error: Error | null;
  connectionStatus: ConnectionStatus;
  /** Recent events, newest first. */
  events: LivingMapEvent[];
  refetch: () => Promise<void>;
  client: LivingMapClient;
  seq?: number;
  epoch?: string;
}

/**
 * The original hook's shape `{snapshot, isLoading, error, connectionStatus, refetch}` plus
 * `events`, backed by a `LivingMapClient` that applies every event to the snapshot.
 * A new client is made when `baseUrl`, `streamUrl` or the filters change.
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
    await client.refetch();
  }, [client]);

  return {
    snapshot: state.snapshot,
    isLoading: state.snapshot === null && state.error === null,
    error: state.error,
    connectionStatus: state.connectionStatus,
    events: state.events,
    refetch,
    client,
    seq: state.seq,
    epoch: state.epoch,
  };
}

export { LivingMapClient };
