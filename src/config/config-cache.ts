import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SlipwayConfig } from './schema.js';

/**
 * Validated configs by the text they came from, so that a command on an unchanged slipway.yml neither loads nor
 * runs the YAML parser and the schema (about half of a short command's start-up). The key is a hash of the build
 * (`buildId`: it changes whenever any source of the build does, so a changed schema never reads an old entry) and
 * of the file's text; parsing is pure over that text, so a hit is exactly what parsing would give. Only valid
 * configs are kept. A cache that cannot be read or written is passed by: the file is parsed as without one.
 */
export interface ConfigCache {
  read(text: string): SlipwayConfig | undefined;
  write(text: string, config: SlipwayConfig): void;
}

/** Entries kept: the oldest beyond these are removed when one is written (each is a few KB). */
export const CONFIG_CACHE_ENTRIES = 64;

/** Where the cache lives: `$XDG_CACHE_HOME/slipway/config`, by default `~/.cache/slipway/config`. */
export function defaultConfigCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'slipway', 'config');
}

/** The cache in `dir` for the build `buildId`. */
export function openConfigCache(dir: string, buildId: string): ConfigCache {
  const fileOf = (text: string) =>
    join(dir, `${createHash('sha256').update(buildId).update('\0').update(text).digest('hex')}.json`);
  return {
    read(text) {
      try {
        const entry = JSON.parse(readFileSync(fileOf(text), 'utf8')) as { config?: SlipwayConfig };
        return entry.config;
      } catch {
        return undefined;
      }
    },
    write(text, config) {
      try {
        // 0700/0600: slipway.yml may hold a database URL with its password; the cache is as private as ~/.ssh.
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const file = fileOf(text);
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, JSON.stringify({ config }), { mode: 0o600 });
        renameSync(temp, file);
        pruneOldest(dir, CONFIG_CACHE_ENTRIES);
      } catch {
        // a read-only or full home: the next command parses again
      }
    },
  };
}

function pruneOldest(dir: string, keep: number): void {
  const entries = readdirSync(dir).filter((name) => name.endsWith('.json'));
  if (entries.length <= keep) return;
  const byAge = entries
    .map((name) => ({ name, mtimeMs: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => a.mtimeMs - b.mtimeMs);
  for (const { name } of byAge.slice(0, entries.length - keep)) unlinkSync(join(dir, name));
}
