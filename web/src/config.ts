/**
 * Where the API is. Resolution order: `?api=` in the page URL, `window.LIVING_MAP_CONFIG`
 * (set by a `<script>` before the app), the build-time `VITE_LIVING_MAP_URL`, else the page's
 * own origin. The API prefix is `/living-map`, or the page's own path up to `…/living-map`
 * when the UI is served under a gateway prefix such as `/api/living-map/`. The API lives at `<base>/living-map/*`, the stream at `ws(s)://<base>/living-map/stream`.
 */
export interface AppConfig {
  baseUrl: string;
  apiPrefix: string;
  streamUrl?: string;
}

declare global {
  interface Window {
    LIVING_MAP_CONFIG?: Partial<AppConfig>;
  }
}

export function loadConfig(): AppConfig {
  const q = new URLSearchParams(location.search);
  const fromWindow = window.LIVING_MAP_CONFIG ?? {};
  const env = (import.meta as { env?: Record<string, string | undefined> }).env ?? {};
  return {
    baseUrl: q.get('api') ?? fromWindow.baseUrl ?? env.VITE_LIVING_MAP_URL ?? location.origin,
    // served under a gateway prefix (e.g. /api/living-map/): the API is beside the page
    apiPrefix: fromWindow.apiPrefix ?? location.pathname.match(/^(.*\/living-map)(\/|$)/)?.[1] ?? '/living-map',
    streamUrl: q.get('stream') ?? fromWindow.streamUrl ?? env.VITE_LIVING_MAP_STREAM_URL ?? undefined,
  };
}
