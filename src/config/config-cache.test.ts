import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CONFIG_CACHE_ENTRIES, defaultConfigCacheDir, openConfigCache } from './config-cache.js';
import { loadConfig } from './load-config.js';
import { parseConfig } from './parse-config.js';

const DOCS = [
  'docs/configuration.md',
  'docs/approvals.md',
  'docs/containers.md',
  'docs/continuous-deployment.md',
  'docs/migrations.md',
  'docs/monitoring.md',
  'docs/notifications.md',
  'docs/pipelines.md',
  'docs/verification.md',
];

type Plain = Record<string, unknown>;

/** The docs' YAML examples, each made a whole config: the fragments get an app, a run command and hosts. */
async function docsConfigs(): Promise<{ name: string; text: string }[]> {
  const { readFile } = await import('node:fs/promises');
  const out: { name: string; text: string }[] = [];
  for (const file of DOCS) {
    const md = await readFile(file, 'utf8');
    let n = 0;
    for (const match of md.matchAll(/```yaml\n([\s\S]*?)```/g)) {
      const fragment = (parseYaml(match[1] ?? '') ?? {}) as Plain;
      const environments = (fragment.environments ?? {
        staging: { publicPort: 8081 },
        production: { publicPort: 8080 },
      }) as Record<string, Plain>;
      for (const env of Object.values(environments)) env.hosts ??= ['local'];
      const team = {
        ann: { roles: ['approver', 'deployer', 'admin', 'oncall'] },
        bob: { roles: ['approver'] },
      };
      const whole = { app: 'my-app', run: { command: 'npm start' }, team, ...fragment, environments };
      out.push({ name: `${file} #${++n}`, text: stringifyYaml(whole) });
    }
  }
  return out;
}

describe('the config cache', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-config-cache-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('gives back exactly what parsing gave, for every example config in the docs', async () => {
    const cache = openConfigCache(tempDir(), 'build-1');
    const configs = await docsConfigs();
    expect(configs.length).toBeGreaterThanOrEqual(DOCS.length);
    for (const { name, text } of configs) {
      const parsed = parseConfig(text, name);
      if ('issues' in parsed) throw new Error(`${name}: ${parsed.issues.map((i) => i.message).join('; ')}`);
      expect(cache.read(text), name).toBeUndefined();
      cache.write(text, parsed.config);
      expect(cache.read(text), name).toStrictEqual(parsed.config);
    }
  });

  it('never gives an entry of another build or of other text', () => {
    const dir = tempDir();
    const text = 'app: a\nrun: { command: x }\nenvironments: { p: { hosts: [local], publicPort: 8080 } }\n';
    const parsed = parseConfig(text, 'slipway.yml');
    if ('issues' in parsed) throw new Error('invalid');
    openConfigCache(dir, 'build-1').write(text, parsed.config);
    expect(openConfigCache(dir, 'build-2').read(text)).toBeUndefined();
    expect(openConfigCache(dir, 'build-1').read(`${text}# a comment\n`)).toBeUndefined();
    expect(openConfigCache(dir, 'build-1').read(text)).toStrictEqual(parsed.config);
  });

  it('keeps its entries private and prunes the oldest beyond its bound', () => {
    const dir = join(tempDir(), 'cache');
    const cache = openConfigCache(dir, 'b');
    for (let i = 0; i < CONFIG_CACHE_ENTRIES + 5; i++) {
      cache.write(`text ${i}`, { app: `a${i}` } as never);
      // mtimes one second apart, oldest first, so that pruning has an order to follow
      const newest = readdirSync(dir)
        .map((name) => join(dir, name))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
      if (newest) utimesSync(newest, 1_000_000 + i, 1_000_000 + i);
    }
    const names = readdirSync(dir);
    expect(names).toHaveLength(CONFIG_CACHE_ENTRIES);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, names[0] ?? '')).mode & 0o777).toBe(0o600);
    expect(cache.read('text 0')).toBeUndefined();
    expect(cache.read(`text ${CONFIG_CACHE_ENTRIES + 4}`)).toEqual({ app: `a${CONFIG_CACHE_ENTRIES + 4}` });
  });

  it('is passed by when it cannot be written or read: the file is parsed as without one', async () => {
    const dir = tempDir();
    const blocked = join(dir, 'not-a-dir');
    writeFileSync(blocked, 'a file where the cache directory would be');
    const file = join(dir, 'slipway.yml');
    writeFileSync(
      file,
      'app: a\nrun: { command: x }\nenvironments: { p: { hosts: [local], publicPort: 8080 } }\n',
    );
    const loaded = await loadConfig(file, openConfigCache(join(blocked, 'config'), 'b'));
    expect(loaded.config.app).toBe('a');
  });

  it('hands out no entry for an invalid file: its issues are reported every time', async () => {
    const dir = tempDir();
    const cache = openConfigCache(join(dir, 'cache'), 'b');
    const file = join(dir, 'slipway.yml');
    writeFileSync(file, 'app: A!\n');
    await expect(loadConfig(file, cache)).rejects.toThrow();
    await expect(loadConfig(file, cache)).rejects.toThrow();
    expect(() => readdirSync(join(dir, 'cache'))).toThrow();
  });

  it('lives under XDG_CACHE_HOME, or ~/.cache', () => {
    expect(defaultConfigCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/slipway/config');
    expect(defaultConfigCacheDir({})).toMatch(/\/\.cache\/slipway\/config$/);
  });
});
