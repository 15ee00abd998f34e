import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

// The built CLI's chunks (dist/cli-*.cjs, scripts/build.mjs) are CommonJS scripts that this loader compiles with
// V8's code cache: a command compiles only the code it runs, and a command run before from the same build
// deserialises what V8 compiled then instead of parsing the chunks again (Node 20 has no compile cache for ES
// modules; `module.enableCompileCache` is Node 22). Loading them as scripts also passes by the ES module loader's
// work per file (resolving, reading through the thread pool, linking), which a command of 60 chunks pays 60 times.

/** V8's compiled code of the chunks, kept across runs. A cache that cannot be read or written is passed by. */
export interface CodeCache {
  /** The code cached for this text of the chunk `name` (whose file's size and mtime are `stamp`), if any. */
  read(name: string, stamp: string): Buffer | undefined;
  /** Keeps these entries (replacing the chunk's entries for other texts), and prunes the caches of old builds. */
  write(entries: readonly { name: string; stamp: string; data: Buffer }[]): void;
}

/** Builds (and installs) kept in the cache: the oldest beyond these are removed when an entry is written. */
export const CODE_CACHE_BUILDS = 8;

/**
 * Where the cache of the chunks in `chunksDir` lives: `$XDG_CACHE_HOME/slipway/code/<build>-<node version>-<arch>-
 * <hash of chunksDir>`, by default under `~/.cache`. Two installs of one build (a checkout and a global install)
 * have caches of their own, so that neither replaces the other's entries. V8 refuses code cached by another version
 * of itself or with other flags: such an entry is written again.
 */
export function defaultCodeCacheDir(
  buildId: string,
  chunksDir: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'slipway', 'code', `${buildId}-${process.version}-${process.arch}-${hashOf(chunksDir)}`);
}

/** FNV-1a, 32 bits, in hex: a short name for a path (no crypto to load for it). */
function hashOf(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * The cache in `dir`. An entry is keyed by the chunk's name (which holds a hash of its content) and the size and
 * mtime of its file, so a rebuilt or edited file never reads code compiled from another text: V8 itself only checks
 * that the length of the text is the same.
 */
export function openCodeCache(dir: string): CodeCache {
  const fileOf = (name: string, stamp: string) => join(dir, `${name}-${stamp}.v8`);
  return {
    read(name, stamp) {
      try {
        return readFileSync(fileOf(name, stamp));
      } catch {
        return undefined;
      }
    },
    write(entries) {
      try {
        // 0700/0600: compiled code runs as this user; nobody else may write or read it.
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const written = new Set<string>();
        for (const { name, stamp, data } of entries) {
          const file = fileOf(name, stamp);
          const temp = `${file}.${process.pid}.tmp`;
          writeFileSync(temp, data, { mode: 0o600 });
          renameSync(temp, file);
          written.add(file);
        }
        const names = new Set(entries.map((e) => `${e.name}-`));
        for (const other of readdirSync(dir)) {
          const stale = [...names].some((prefix) => other.startsWith(prefix)) && other.endsWith('.v8');
          if (stale && !written.has(join(dir, other))) rmSync(join(dir, other), { force: true });
        }
        pruneOtherBuilds(dir, CODE_CACHE_BUILDS);
      } catch {
        // a read-only or full home: the next command compiles again
      }
    },
  };
}

/** Removes the caches of other builds beside `dir` beyond the newest `keep` (by mtime). */
function pruneOtherBuilds(dir: string, keep: number): void {
  const root = join(dir, '..');
  const builds = readdirSync(root)
    .map((name) => ({ path: join(root, name), mtimeMs: statSync(join(root, name)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of builds.slice(keep))
    if (old.path !== dir) rmSync(old.path, { recursive: true, force: true });
}

/** A chunk as CommonJS sees it. */
interface ChunkModule {
  exports: unknown;
}

type ChunkFunction = (
  exports: unknown,
  require: NodeJS.Require,
  module: ChunkModule,
  filename: string,
  dirname: string,
  importMeta: { readonly url: string },
) => void;

/** The CLI's chunks, loaded once each. */
export interface ChunkLoader {
  /** The exports of the chunk `name` (`cli-main.cjs`), loaded with what it requires on first use. */
  load(name: string): unknown;
  /** The chunks loaded without usable cached code: what `saveCode` writes. */
  uncached(): string[];
  /** Writes the code of those chunks to the cache, as compiled so far (the CLI does it when the process exits). */
  saveCode(): void;
}

/**
 * A `require` for the chunks in `dir`: `./cli-*.cjs` from a chunk is a chunk (loaded once, by this loader); any
 * other name (node:fs, better-sqlite3 …) is Node's `require` from that chunk's file. The chunks were ES modules
 * before the build made them CommonJS: they run in strict mode, with `this` undefined at their top level, and what
 * was `import.meta` is an object with the chunk's URL. Code compiled without a cached copy goes to the cache with
 * `saveCode`, with the functions the command ran by then.
 */
export function createChunkLoader(dir: string, cache: CodeCache | null): ChunkLoader {
  const loaded = new Map<string, ChunkModule>();
  const toCache: { name: string; stamp: string; script: Script }[] = [];

  const load = (name: string): unknown => {
    const known = loaded.get(name);
    if (known) return known.exports;
    const module: ChunkModule = { exports: {} };
    loaded.set(name, module);
    const file = join(dir, name);
    const source = readFileSync(file, 'utf8');
    const stamp = cache ? fileStamp(file) : '';
    const cachedData = cache?.read(name, stamp);
    // The wrapper stays on the chunk's first line: line numbers in stack traces are the file's.
    const script = new Script(
      `(function (exports, require, module, __filename, __dirname, __slipwayImportMeta) {"use strict";${source}\n})`,
      { filename: file, ...(cachedData ? { cachedData } : {}) },
    );
    if (cache && (cachedData === undefined || script.cachedDataRejected === true))
      toCache.push({ name, stamp, script });
    const fn = script.runInThisContext() as ChunkFunction;
    let nodeRequire: NodeJS.Require | undefined;
    const fromFile = (): NodeJS.Require => (nodeRequire ??= createRequire(file));
    // Node's require for the file is made when a chunk first asks for something else than a chunk.
    const chunkRequire = Object.defineProperties(
      (id: string): unknown => (id.startsWith('./cli-') ? load(id.slice(2)) : (fromFile()(id) as unknown)),
      {
        resolve: { get: () => fromFile().resolve },
        cache: { get: () => fromFile().cache },
        main: { get: () => fromFile().main },
      },
    ) as unknown as NodeJS.Require;
    const importMeta = {
      get url() {
        return pathToFileURL(file).href;
      },
    };
    fn.call(undefined, module.exports, chunkRequire, module, file, dir, importMeta);
    return module.exports;
  };

  return {
    load,
    uncached: () => toCache.map((c) => c.name),
    saveCode: () => {
      if (!cache || toCache.length === 0) return;
      cache.write(
        toCache.map(({ name, stamp, script }) => ({ name, stamp, data: script.createCachedData() })),
      );
      toCache.length = 0;
    },
  };
}

/** The size and mtime of a file: a rebuilt or edited chunk has another. */
function fileStamp(file: string): string {
  const stat = statSync(file);
  return `${stat.size}-${Math.round(stat.mtimeMs * 1000)}`;
}
