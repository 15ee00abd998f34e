import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChunkLoader, defaultCodeCacheDir, openCodeCache } from './chunk-loader.js';

// Chunks as scripts/build.mjs writes them: CommonJS, requiring each other as ./cli-*.cjs.
const MAIN = `
var other = require("./cli-other.cjs");
var path = require("node:path");
module.exports = {
  sum: other.add(2, 3),
  topThis: this,
  strict: (function () { return this === undefined; })(),
  url: __slipwayImportMeta.url,
  sep: path.sep,
  other: other,
};
`;
const OTHER = `
var calls = 0;
module.exports = { add: function (a, b) { calls++; return a + b; }, calls: function () { return calls; } };
`;

describe('createChunkLoader', () => {
  let dir: string;
  let cacheDir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sw-chunks-'));
    cacheDir = join(mkdtempSync(join(tmpdir(), 'sw-code-cache-')), 'slipway', 'code', 'build-1');
    writeFileSync(join(dir, 'cli-main.cjs'), MAIN);
    writeFileSync(join(dir, 'cli-other.cjs'), OTHER);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(cacheDir, '..', '..', '..'), { recursive: true, force: true });
  });

  it('runs a chunk and the chunks it requires once each, in strict mode, with its URL as import.meta.url', () => {
    const chunks = createChunkLoader(dir, null);
    const main = chunks.load('cli-main.cjs') as Record<string, unknown>;
    expect(main.sum).toBe(5);
    expect(main.topThis).toBeUndefined();
    expect(main.strict).toBe(true);
    expect(main.url).toBe(pathToFileURL(join(dir, 'cli-main.cjs')).href);
    expect(main.sep).toBe('/');
    // The same module for every chunk that requires it.
    expect(chunks.load('cli-other.cjs')).toBe(main.other);
    expect((main.other as { calls(): number }).calls()).toBe(1);
  });

  it('caches the compiled code of each chunk, and reads it in the next process', () => {
    const first = createChunkLoader(dir, openCodeCache(cacheDir));
    first.load('cli-main.cjs');
    expect(first.uncached().sort()).toEqual(['cli-main.cjs', 'cli-other.cjs']);
    first.saveCode();
    expect(readdirSync(cacheDir)).toHaveLength(2);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    for (const entry of readdirSync(cacheDir))
      expect(statSync(join(cacheDir, entry)).mode & 0o777).toBe(0o600);

    const second = createChunkLoader(dir, openCodeCache(cacheDir));
    expect((second.load('cli-main.cjs') as { sum: number }).sum).toBe(5);
    expect(second.uncached()).toEqual([]);
  });

  it('never reads code compiled from another text of a chunk, and keeps one entry per chunk', () => {
    const first = createChunkLoader(dir, openCodeCache(cacheDir));
    first.load('cli-main.cjs');
    first.saveCode();

    // The same length, another text (V8 checks the length only), and the same mtime: the size and mtime are the key,
    // so a new mtime makes a new entry.
    writeFileSync(join(dir, 'cli-other.cjs'), OTHER.replace('a + b', 'a * b'));
    const later = new Date(statSync(join(dir, 'cli-other.cjs')).mtimeMs + 5000);
    utimesSync(join(dir, 'cli-other.cjs'), later, later);
    const second = createChunkLoader(dir, openCodeCache(cacheDir));
    expect((second.load('cli-main.cjs') as { sum: number }).sum).toBe(6);
    expect(second.uncached()).toEqual(['cli-other.cjs']);
    second.saveCode();
    expect(readdirSync(cacheDir).filter((f) => f.startsWith('cli-other.cjs-'))).toHaveLength(1);
  });

  it('passes by a cache it cannot write', () => {
    writeFileSync(join(dir, 'not-a-dir'), '');
    const chunks = createChunkLoader(dir, openCodeCache(join(dir, 'not-a-dir', 'code')));
    expect((chunks.load('cli-main.cjs') as { sum: number }).sum).toBe(5);
    expect(() => chunks.saveCode()).not.toThrow();
  });

  it('keeps the caches of the newest builds only', () => {
    const root = join(cacheDir, '..');
    for (let i = 0; i < 10; i++) {
      const old = join(root, `old-${i}`);
      const chunks = createChunkLoader(dir, openCodeCache(old));
      chunks.load('cli-main.cjs');
      chunks.saveCode();
      const at = new Date(Date.now() - (20 - i) * 60_000);
      utimesSync(old, at, at);
    }
    const chunks = createChunkLoader(dir, openCodeCache(cacheDir));
    chunks.load('cli-main.cjs');
    chunks.saveCode();
    expect(readdirSync(root).sort()).toEqual(['build-1', ...[3, 4, 5, 6, 7, 8, 9].map((i) => `old-${i}`)]);
  });
});

describe('defaultCodeCacheDir', () => {
  it('lives under XDG_CACHE_HOME, or ~/.cache, per build, Node and install', () => {
    const dir = defaultCodeCacheDir('abc', '/opt/slipway/dist', { XDG_CACHE_HOME: '/x' });
    expect(dir).toMatch(new RegExp(`^/x/slipway/code/abc-${process.version}-${process.arch}-[0-9a-f]{8}$`));
    expect(defaultCodeCacheDir('abc', '/opt/slipway/dist', { XDG_CACHE_HOME: '/x' })).toBe(dir);
    expect(defaultCodeCacheDir('abc', '/home/me/slipway/dist', { XDG_CACHE_HOME: '/x' })).not.toBe(dir);
    expect(defaultCodeCacheDir('abc', '/opt/slipway/dist', {})).toMatch(/\/\.cache\/slipway\/code\/abc-/);
  });
});
