import preact from '@preact/preset-vite';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/**
 * The dashboard (src/web) built to dist/web, which `slipway server` serves. `npm run build` runs it through
 * scripts/build.mjs; `npx vite --config vite.config.ts` serves it for development (API calls then need a proxy
 * to a running server: `SLIPWAY_SERVER=http://127.0.0.1:8430`).
 */
const server = process.env['SLIPWAY_SERVER'];

export default defineConfig({
  root: resolve(import.meta.dirname, 'src', 'web'),
  base: '/',
  // No devtools hook in the build (it only adds a warning about its source map).
  plugins: [preact({ devToolsEnabled: false })],
  build: {
    outDir: resolve(import.meta.dirname, 'dist', 'web'),
    emptyOutDir: true,
    // The server's CSP allows no inline script: everything is a file.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    sourcemap: true,
  },
  server: server ? { proxy: { '/api': server, '/healthz': server } } : {},
});
