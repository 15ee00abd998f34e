import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_ID } from '../core/build-id.js';
import { createChunkLoader, defaultCodeCacheDir, openCodeCache } from './chunk-loader.js';

// dist/cli.js, what bin/slipway.js imports: it loads the CLI's chunks beside it (dist/cli-*.cjs, scripts/build.mjs)
// with V8's code cache (src/cli/chunk-loader.ts), starting with src/cli/main.ts.
const dir = dirname(fileURLToPath(import.meta.url));
const chunks = createChunkLoader(
  dir,
  BUILD_ID === null ? null : openCodeCache(defaultCodeCacheDir(BUILD_ID, dir)),
);
// The code compiled without a cached copy is cached at the end, with every function the command ran: the first
// command of a build pays it once (a few milliseconds), the next ones of any verb read it.
process.on('exit', () => chunks.saveCode());
chunks.load('cli-main.cjs');
