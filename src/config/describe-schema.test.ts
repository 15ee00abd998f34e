import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { describeConfigSchema, renderConfigDocs } from './describe-schema.js';

describe('describeConfigSchema', () => {
  const sections = describeConfigSchema();
  const rows = sections.flatMap((s) => s.keys);
  const row = (path: string) => rows.find((r) => r.path === path);

  it('lists every key path with its type, default and description', () => {
    expect(row('app')).toEqual({
      path: 'app',
      type: 'string',
      default: 'required',
      description: 'Name of the app (lower-case letters, digits and dashes).',
    });
    expect(row('environments.<name>.publicPort')).toMatchObject({
      type: 'integer 1–65535',
      default: 'required',
    });
    expect(row('healthCheck.startTimeout')).toMatchObject({
      type: 'duration > 0, ≤ 24d20h31m23s647ms',
      default: '`30s`',
    });
    expect(row('build.command')).toMatchObject({ default: 'optional' });
    expect(row('environments.<name>.strategy')?.default).toBe(
      '`{ kind: blue-green, keepWarm: 5m, drainTimeout: 30s }`',
    );
    expect(rows.filter((r) => r.description === '')).toEqual([]);
  });

  it('gives every duration its bounds, also when the key describes the duration itself', () => {
    expect(row('environments.<name>.strategy.keepWarm')?.type).toBe('duration ≥ 0, ≤ 24d20h31m23s647ms');
    expect(row('environments.<name>.monitoring.retention.tenMinutes')?.type).toBe('duration > 0, ≤ 3650d');
    expect(row('environments.<name>.bake.duration')?.type).toBe('duration > 0, ≤ 24d20h31m23s647ms');
  });

  it("lists the keys of an SSH host entry, in a section of the list's mapping form, with their defaults", () => {
    const hosts = sections.find((s) => s.title === '`environments.<name>.hosts[]` as a mapping');
    expect(hosts?.description).toMatch(/^A Linux machine reached over SSH/);
    expect(hosts?.keys.map((k) => [k.path, k.default])).toEqual([
      ['environments.<name>.hosts[].name', 'required'],
      ['environments.<name>.hosts[].address', 'required'],
      ['environments.<name>.hosts[].port', '`22`'],
      ['environments.<name>.hosts[].user', '`root`'],
      ['environments.<name>.hosts[].identityFile', 'optional'],
      ['environments.<name>.hosts[].roles', '`[]`'],
      ['environments.<name>.hosts[].agentHome', '`/var/lib/slipway`'],
    ]);
    expect(
      sections.find((s) => s.title === '`environments.<name>.edge.host` as a mapping')?.keys,
    ).toContainEqual(
      expect.objectContaining({
        path: 'environments.<name>.edge.host.agentHome',
        default: '`/var/lib/slipway`',
      }),
    );
  });

  it('lists the keys of list entries beside the list, and leaves out mapping options without keys', () => {
    expect(row('environments.<name>.windows[].cron')).toMatchObject({ type: 'string', default: 'required' });
    expect(row('environments.<name>.strategy.analysis.checks[].kind')?.description).toBe(
      '`prometheus` selects this checks entry.',
    );
    expect(sections.map((s) => s.title)).not.toContain(
      '`environments.<name>.strategy.steps[].pause` as a mapping',
    );
  });

  it('gives each strategy kind its own section with its own keys', () => {
    const kinds = sections
      .slice(1)
      .filter((s) => s.title.startsWith('`environments.<name>.strategy` with'))
      .map((s) => [s.title, s.keys.map((k) => k.path.split('.').at(-1))]);
    expect(kinds).toEqual([
      ['`environments.<name>.strategy` with kind `recreate`', ['kind', 'drainTimeout']],
      ['`environments.<name>.strategy` with kind `blue-green`', ['kind', 'keepWarm', 'drainTimeout']],
      [
        '`environments.<name>.strategy` with kind `canary`',
        expect.arrayContaining(['kind', 'steps', 'header', 'cookie', 'keepWarm', 'drainTimeout']),
      ],
      [
        '`environments.<name>.strategy` with kind `rolling`',
        expect.arrayContaining(['kind', 'batchSize', 'maxUnavailable', 'failureBudget', 'onBatchFailure']),
      ],
    ]);
  });
});

describe('docs/configuration.md', () => {
  it('is what the generator renders from the schema now (run `npm run docs:config` after changing the schema)', async () => {
    const committed = await readFile(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigDocs());
  });

  it('gives each runtime kind its own section', () => {
    const runtimes = describeConfigSchema()
      .filter((s) => s.title.startsWith('`runtime`'))
      .map((s) => [s.title, s.keys.map((k) => k.path.split('.').at(-1))]);
    expect(runtimes).toEqual([
      ['`runtime` with kind `process`', ['kind']],
      [
        '`runtime` with kind `docker`',
        ['kind', 'dockerfile', 'socket', 'buildSocket', 'registry', 'memory', 'cpus', 'volumes'],
      ],
    ]);
  });
});
