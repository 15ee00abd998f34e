// Bundles the CLI into dist/cli.js and its chunks (one per verb, loaded when that verb runs, so that a command
// parses only the code it needs; CommonJS scripts, compiled with V8's code cache), the agent into one self-contained
// file (what a host runs, uploaded alone), and the dashboard into dist/web (what `slipway server` serves), with Vite
// and the config in vite.config.ts.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

/**
 * A hash of every file under src/ and of the lockfile: the built CLI's `BUILD_ID` (src/core/build-id.ts), which keys
 * what it caches across runs (validated configs), so that a build from changed sources never reads an old entry.
 */
function buildId() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else hash.update(path).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  walk('src');
  hash.update(readFileSync('package-lock.json'));
  return hash.digest('hex').slice(0, 16);
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

/**
 * The CLI's chunks sit beside dist/cli.js, not in a folder of their own: code in them finds dist/agent.js,
 * dist/web and the examples from its own location. `.js` and `.js.map` are those of earlier builds, when the
 * chunks were ES modules.
 */
const CLI_CHUNK = /^cli-.+\.c?js(\.map)?$/;

/**
 * zod's locales, about 360 KB of code that every verb reading slipway.yml would parse, cut to the English one
 * that Slipway's messages use (zod registers it by itself; `z.locales` then holds `en` only).
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
    }));
  },
};

/**
 * An ES module chunk's imports of other chunks, kept as imports of the CommonJS files they become.
 */
const chunksStayApart = {
  name: 'chunks-stay-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/cli-.+\.js$/ }, (args) => ({
      path: args.path.replace(/\.js$/, '.cjs'),
      external: true,
    }));
  },
};

/**
 * The CLI, in three steps. (1) esbuild's code splitting, in ES modules (the only format it splits): src/cli/main.ts
 * and a chunk of each `import()` (every verb, the large libraries that step handlers load when they run), in a temp
 * directory. (2) Each of those files becomes a CommonJS script, `dist/cli-*.cjs` (its `import()`s `require`s in a
 * promise; source maps follow): Node 20 has V8's code cache for scripts, not for ES modules. (3) dist/cli.js, the
 * entry that bin/slipway.js and the tests run, is an ES module that loads the chunks with that code cache
 * (src/cli/entry.ts, src/cli/chunk-loader.ts). Chunks of an earlier build that this one did not write are removed.
 */
async function buildCli() {
  const define = { __SLIPWAY_BUILD_ID__: JSON.stringify(buildId()) };
  const esm = mkdtempSync(join(tmpdir(), 'slipway-cli-esm-'));
  try {
    const split = await build({
      ...common,
      banner: {},
      entryPoints: { 'cli-main': 'src/cli/main.ts' },
      outdir: esm,
      splitting: true,
      chunkNames: 'cli-[name]-[hash]',
      metafile: true,
      external: ['better-sqlite3', 'ssh2', 'cpu-features', 'dockerode'],
      plugins: [zodEnglishOnly],
      define,
    });
    const chunks = Object.keys(split.metafile.outputs)
      .filter((path) => path.endsWith('.js'))
      .map((path) => resolve(path));
    const [scripts] = await Promise.all([
      build({
        entryPoints: chunks,
        outbase: esm,
        outdir: 'dist',
        outExtension: { '.js': '.cjs' },
        bundle: true,
        packages: 'external',
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        supported: { 'dynamic-import': false },
        // What import.meta was, the chunk loader passes in (src/cli/chunk-loader.ts).
        define: { 'import.meta': '__slipwayImportMeta' },
        sourcemap: 'linked',
        metafile: true,
        logLevel: 'warning',
        // A bundled library's eval('require("zlib")…') was esbuild's concern in step 1, where it said nothing.
        logOverride: { 'direct-eval': 'silent' },
        plugins: [chunksStayApart],
      }),
      build({ ...common, entryPoints: { cli: 'src/cli/entry.ts' }, outdir: 'dist', define }),
    ]);
    const written = new Set(Object.keys(scripts.metafile.outputs).map((path) => path.replace(/^dist\//, '')));
    for (const name of readdirSync('dist')) {
      if (CLI_CHUNK.test(name) && !written.has(name)) rmSync(`dist/${name}`, { force: true });
    }
  } finally {
    rmSync(esm, { recursive: true, force: true });
  }
}

await Promise.all([
  buildCli(),
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
