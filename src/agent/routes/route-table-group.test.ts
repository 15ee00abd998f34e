import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HealthCheckSpec } from '../protocol.js';
import { freePort, startBackend, useCleanup } from '../../router/test-backends.js';
import { EventJournal } from '../event-journal.js';
import { RouteTable } from './route-table.js';
import type { RoutesState } from './route-records.js';

// A route whose active side is a group of instances: switched as one, kept on disk, served again after the router
// process restarts; an older route file (one target, no group) still loads.

const checks: HealthCheckSpec = {
  path: '/healthz',
  intervalMs: 50,
  timeoutMs: 500,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
};

describe('RouteTable groups', () => {
  const cleanup = useCleanup();

  function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'sw-rg-'));
    cleanup(() => rmSync(dir, { recursive: true, force: true }));
    const statePath = join(dir, 'routes.json');
    const open = async () => {
      const table = await RouteTable.open({ statePath, journal: await EventJournal.open(join(dir, 'ev')) });
      return table;
    };
    const backend = async (name: string) => {
      const b = await startBackend((_req, res) => res.end(name));
      cleanup(() => b.close());
      return { id: name, release: name.split('-')[0] ?? '', port: b.port };
    };
    return { statePath, open, backend };
  }

  async function bodies(port: number, n: number): Promise<Set<string>> {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) seen.add(await (await fetch(`http://127.0.0.1:${port}/`)).text());
    return seen;
  }

  it('switches to a group, drains the old group, and serves the group again after a restart', async () => {
    const { statePath, open, backend } = setup();
    let table = await open();
    const port = await freePort();
    await table.ensureRoute({ app: 'shop', publicPort: port, bindAddress: '127.0.0.1' });
    const app = 'shop';
    const old = [await backend('v1-i1'), await backend('v1-i2')];
    const first = await table.switchRoute({
      app,
      target: old[0]!,
      drainTimeoutMs: 1000,
      group: { members: old, healthCheck: checks },
    });
    expect(first).toMatchObject({ previous: null });
    expect(await bodies(port, 6)).toEqual(new Set(['v1-i1', 'v1-i2']));

    const next = [await backend('v2-i1'), await backend('v2-i2'), await backend('v2-i3')];
    const switched = await table.switchRoute({
      app,
      target: next[0]!,
      drainTimeoutMs: 1000,
      group: { members: next, healthCheck: checks },
    });
    expect(switched).toMatchObject({ previous: 'v1-i1', previousGroup: ['v1-i1', 'v1-i2'] });
    expect(await bodies(port, 9)).toEqual(new Set(['v2-i1', 'v2-i2', 'v2-i3']));
    const status = (await table.routes()).routes[0];
    expect(status?.group?.map((m) => m.id)).toEqual(['v2-i1', 'v2-i2', 'v2-i3']);
    const saved = JSON.parse(readFileSync(statePath, 'utf8')) as RoutesState;
    expect(saved.routes[0]?.group?.members.map((m) => m.id)).toEqual(['v2-i1', 'v2-i2', 'v2-i3']);

    // A member stopped while the group serves leaves it; the others go on.
    await table.unroute({ app, targetId: 'v2-i1', drainTimeoutMs: 1000 });
    expect(await bodies(port, 6)).toEqual(new Set(['v2-i2', 'v2-i3']));

    await table.close();
    table = await open();
    cleanup(() => table.close());
    expect(await bodies(port, 6)).toEqual(new Set(['v2-i2', 'v2-i3']));
    expect((await table.routes()).routes[0]?.active).toBe('v2-i2');
  });

  it('loads a route file written before groups (one active target)', async () => {
    const { statePath, open, backend } = setup();
    const solo = await backend('v1');
    let table = await open();
    await table.ensureRoute({ app: 'shop', publicPort: 0, bindAddress: '127.0.0.1' });
    await table.switchRoute({ app: 'shop', target: solo, drainTimeoutMs: 0 });
    await table.close();
    const saved = JSON.parse(readFileSync(statePath, 'utf8')) as RoutesState;
    expect(saved.routes[0]).not.toHaveProperty('group');
    writeFileSync(statePath, JSON.stringify(saved));
    table = await open();
    cleanup(() => table.close());
    const status = (await table.routes()).routes[0];
    expect(status).toMatchObject({ active: 'v1' });
    expect(status).not.toHaveProperty('group');
  });
});
