// Bundles the CLI and the agent into single files under dist/ (the agent bundle is what a host runs), and the
// dashboard into dist/web (what `slipway server` serves), with Vite and the config in vite.config.ts.
import { readdirSync, statSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * Whether dist/web is older than a source it may bundle (src/, the Vite config, the lockfile). Tests run this
 * script before every run: an up-to-date dashboard is not built again (Vite takes a couple of seconds).
 */
function webIsStale() {
  const builtMs = mtimeMs('dist/web/index.html');
  if (builtMs === null) return true;
  const newest = (path) => {
    const stat = statSync(path);
    if (!stat.isDirectory()) return stat.mtimeMs;
    return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(`${path}/${name}`)));
  };
  return ['src', 'vite.config.ts', 'package-lock.json'].some((path) => newest(path) > builtMs);
}

function mtimeMs(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);",
  },
};

await Promise.all([
  build({
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    external: ['better-sqlite3', 'ssh2', 'cpu-features', 'dockerode'],
  }),
  // The agent must not depend on node_modules on a remote host: everything is bundled in. dockerode (loaded only
  // for container targets) pulls in ssh2, whose native parts are optional and loaded in try/catch: left out.
  // Some of its CommonJS files read __dirname, which an ESM bundle must define.
  build({
    ...common,
    entryPoints: ['src/agent/main.ts'],
    outfile: 'dist/agent.js',
    external: ['*.node', 'cpu-features'],
    banner: {
      js: `${common.banner.js} import { fileURLToPath as __slipwayFileURLToPath } from 'node:url'; import { dirname as __slipwayDirname } from 'node:path'; const __filename = __slipwayFileURLToPath(import.meta.url); const __dirname = __slipwayDirname(__filename);`,
    },
  }),
  // The router alone in a process, driven over stdin, for `npm run bench` (bench/router-bench.mjs).
  build({ ...common, entryPoints: ['bench/router-server.ts'], outfile: 'dist/bench/router-server.js' }),
  webIsStale()
    ? import('vite').then(({ build: buildWeb }) =>
        buildWeb({ configFile: new URL('../vite.config.ts', import.meta.url).pathname, logLevel: 'warn' }),
      )
    : null,
]);
