import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The Maven build runs `npm run build`; the output lands in target/classes/webroot and so in the jar.
export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic' },
  resolve: {
    alias: [
      { find: /^@daarion\/living-map-client\/react$/, replacement: r('./packages/living-map-client/src/react.ts') },
      { find: /^@daarion\/living-map-client$/, replacement: r('./packages/living-map-client/src/index.ts') },
    ],
  },
  build: {
    outDir: process.env.WEBROOT_OUT ?? r('../target/classes/webroot'),
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/living-map': { target: process.env.LIVING_MAP_URL ?? 'http://localhost:7080', ws: true },
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'packages/*/src/**/*.test.tsx'],
    environment: 'node',
    // the type tests (*.test-d.ts) run through tsc: `npm test` runs them after the others
    // (`vitest run --typecheck.only`), so tsc does not compete with the timed tests for the CPU
    typecheck: { include: ['packages/*/src/**/*.test-d.ts'], tsconfig: './tsconfig.typecheck.json' },
    pool: 'threads',
    poolOptions: { threads: { maxThreads: 2, minThreads: 1 } },
  },
});
