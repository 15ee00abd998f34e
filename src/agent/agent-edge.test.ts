import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { Agent as HttpClient, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, signal, startBackend, useCleanup } from '../router/test-backends.js';
import { Agent } from './agent.js';
import { AgentClient } from './agent-client.js';
import { edgeRouteKey, type HealthCheckSpec, type RouteStatus } from './protocol.js';

const http = new HttpClient({ keepAliveTimeout: 10_000 });
afterAll(() => http.close());
const cleanup = useCleanup();

const healthCheck: HealthCheckSpec = {
  path: '/healthz',
  intervalMs: 60_000, // membership and enabled flags alone decide in these tests
  timeoutMs: 1_000,
  healthyThreshold: 1,
  unhealthyThreshold: 1,
};

/** An agent in a temp home, driven through its unix socket like the control plane does. */
async function startAgent(home: string): Promise<{ client: AgentClient; stop: () => Promise<void> }> {
  const agent = await Agent.start({ home });
  const client = new AgentClient(createConnection(agent.paths.socket), 'local');
  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= (async () => {
      client.close();
      await agent.stop({ stopTargets: false });
    })());
  cleanup(stop);
  return { client, stop };
}

async function tempHome(): Promise<string> {
  // Short: a unix socket path must fit in 108 bytes.
  const home = await mkdtemp('/tmp/swa-');
  cleanup(() => rm(home, { recursive: true, force: true }));
  return home;
}

/** Stands in for an app host's router: answers its name, and `/slow` when told to. */
async function startHost(name: string, release?: Promise<void>, received?: () => void) {
  const backend = await startBackend((req, res) => {
    if (req.url === '/slow' && release) {
      received?.();
      void release.then(() => res.end(`slow ${name}`));
    } else res.end(name);
  });
  cleanup(backend.close);
  return backend;
}

async function get(port: number, path = '/') {
  const res = await request(`http://127.0.0.1:${port}${path}`, { dispatcher: http });
  return { status: res.statusCode, body: await res.body.text() };
}

function edgeOf(routes: RouteStatus[], app: string): RouteStatus | undefined {
  return routes.find((r) => r.app === edgeRouteKey(app));
}

describe('Agent edge: a member put back', () => {
  // A first deploy ensures the edge before the host's router serves: the edge's checks fail and take the member
  // out. Putting it back ("back in the edge", then "✔ live") must mean users reach it, not a 503 until the checks
  // pass on their own.
  it('answers only once the edge has the member in rotation again', async () => {
    const home = await tempHome();
    const { client } = await startAgent(home);
    const publicPort = await freePort();
    const hostPort = await freePort(); // nothing serves there yet
    const check: HealthCheckSpec = {
      path: '/healthz',
      intervalMs: 300,
      timeoutMs: 300,
      healthyThreshold: 2,
      unhealthyThreshold: 1,
    };
    await client.call('ensureEdge', {
      app: 'web',
      publicPort,
      bindAddress: '127.0.0.1',
      healthCheck: check,
      upstreams: [{ id: 'app-1', address: '127.0.0.1', port: hostPort }],
    });
    await client.call('setEdgeMember', { app: 'web', id: 'app-1', enabled: false, drainTimeoutMs: 0 });
    // Wait for a failed check to take it out (its router does not serve yet).
    for (;;) {
      const pool = edgeOf((await client.call('state', {})).routes, 'web')?.pool ?? [];
      if (pool[0]?.health === 'unhealthy') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const host = await startBackend((_req, res) => res.end('A'), undefined, hostPort);
    cleanup(host.close);
    const back = await client.call('setEdgeMember', {
      app: 'web',
      id: 'app-1',
      enabled: true,
      drainTimeoutMs: 0,
    });
    expect(back).toMatchObject({ enabled: true, inRotation: true });
    expect(await get(publicPort)).toEqual({ status: 200, body: 'A' });
  });
});

describe('Agent edge', () => {
  it('ensures an edge, drains a member, changes members and survives an agent restart', async () => {
    const home = await tempHome();
    const received = signal();
    const release = signal();
    const a = await startHost('A');
    const b = await startHost('B', release.promise, received.resolve);
    const c = await startHost('C');
    const publicPort = await freePort();
    const upstreams = [
      { id: 'app-1', address: '127.0.0.1', port: a.port },
      { id: 'app-2', address: '127.0.0.1', port: b.port },
      { id: 'app-3', address: '127.0.0.1', port: c.port },
    ];
    const edge = { app: 'web', publicPort, bindAddress: '127.0.0.1', healthCheck, upstreams };
    const first = await startAgent(home);

    const created = await first.client.call('ensureEdge', edge);
    expect(created).toMatchObject({ app: 'edge:web', publicPort, active: null, created: true });
    expect(created.pool?.map((m) => [m.id, m.port, m.enabled, m.inRotation])).toEqual([
      ['app-1', a.port, true, true],
      ['app-2', b.port, true, true],
      ['app-3', c.port, true, true],
    ]);
    expect(await first.client.call('ensureEdge', edge)).toMatchObject({ created: false });
    const bodies: string[] = [];
    for (let i = 0; i < 6; i++) bodies.push((await get(publicPort)).body);
    expect(bodies).toEqual(['A', 'B', 'C', 'A', 'B', 'C']);

    // The next turn is app-1's, then app-2's: a slow request lands on app-2, which is then drained.
    expect((await get(publicPort)).body).toBe('A');
    const slow = get(publicPort, '/slow');
    await received.promise;
    let answered = false;
    const disabled = first.client
      .call('setEdgeMember', { app: 'web', id: 'app-2', enabled: false, drainTimeoutMs: 10_000 })
      .finally(() => (answered = true));
    const during = new Set<string>();
    for (let i = 0; i < 4; i++) during.add((await get(publicPort)).body);
    expect(during).toEqual(new Set(['A', 'C']));
    expect(answered).toBe(false); // still waiting for the slow request
    release.resolve();
    expect(await slow).toEqual({ status: 200, body: 'slow B' });
    expect(await disabled).toEqual({ enabled: false, drained: true, inFlight: 0 });

    // app-3 leaves the list; app-2 stays disabled through an ensureEdge (a rolling update in progress).
    const changed = await first.client.call('ensureEdge', { ...edge, upstreams: upstreams.slice(0, 2) });
    expect(changed.pool?.map((m) => [m.id, m.enabled])).toEqual([
      ['app-1', true],
      ['app-2', false],
    ]);
    expect((await get(publicPort)).body).toBe('A');
    expect((await first.client.call('metrics', { app: edgeRouteKey('web') })).targets.length).toBe(2);

    // An app router may share the host, on another port only.
    await expect(
      first.client.call('ensureRoute', { app: 'web', publicPort, bindAddress: '127.0.0.1' }),
    ).rejects.toThrow(/already the public port of edge:web/);
    const appPort = await freePort();
    await first.client.call('ensureRoute', { app: 'web', publicPort: appPort, bindAddress: '127.0.0.1' });
    const state = await first.client.call('state', {});
    expect(state.routes.map((r) => [r.app, r.publicPort, r.pool === null])).toEqual([
      ['edge:web', publicPort, false],
      ['web', appPort, true],
    ]);

    await first.stop();
    const second = await startAgent(home);
    const restored = edgeOf((await second.client.call('state', {})).routes, 'web');
    expect(restored?.pool?.map((m) => [m.id, m.address, m.port, m.enabled])).toEqual([
      ['app-1', '127.0.0.1', a.port, true],
      ['app-2', '127.0.0.1', b.port, false],
    ]);
    expect((await get(publicPort)).body).toBe('A');
    expect(
      await second.client.call('setEdgeMember', {
        app: 'web',
        id: 'app-2',
        enabled: true,
        drainTimeoutMs: 0,
      }),
    ).toEqual({ enabled: true, drained: true, inFlight: 0, inRotation: true });
    const both = new Set<string>();
    for (let i = 0; i < 4; i++) both.add((await get(publicPort)).body);
    expect(both).toEqual(new Set(['A', 'B']));
  });

  it('journals ejections and re-admissions, says why and since when, and keeps its failover across a restart', async () => {
    const home = await tempHome();
    const a = await startHost('A');
    // app-2's router is down (connections are refused) and comes back at this port later.
    const deadPort = await freePort();
    const publicPort = await freePort();
    const failover = {
      connectTimeoutMs: 1_000,
      answerTimeoutMinMs: 700,
      answerTimeoutMaxMs: 5_000,
      retryBudget: 0.2,
      ejectAfter: 3,
    };
    const edge = {
      app: 'web',
      publicPort,
      bindAddress: '127.0.0.1',
      // Checks fail slowly here (100 in a row): the edge's own request ejects app-2; a passing check re-admits it.
      healthCheck: { ...healthCheck, intervalMs: 100, healthyThreshold: 1, unhealthyThreshold: 100 },
      upstreams: [
        { id: 'app-1', address: '127.0.0.1', port: a.port },
        { id: 'app-2', address: '127.0.0.1', port: deadPort },
      ],
      failover,
    };
    const first = await startAgent(home);
    await first.client.call('ensureEdge', edge);
    for (let i = 0; i < 2; i++) expect(await get(publicPort)).toEqual({ status: 200, body: 'A' });

    const ejected = edgeOf((await first.client.call('state', {})).routes, 'web')?.pool;
    expect(ejected?.map((m) => [m.id, m.inRotation, m.ejected?.cause ?? null, m.answerTimeoutMs])).toEqual([
      ['app-1', true, null, 700],
      ['app-2', false, 'refused', 700],
    ]);
    expect(ejected?.[1]?.ejected?.sinceMs).toBeGreaterThan(0);

    // app-2's router is back: its checks pass and it is back in rotation, with nothing else done.
    const back = await startBackend((_req, res) => res.end('B'), undefined, deadPort);
    cleanup(back.close);
    let events = (await first.client.call('events', { afterSeq: 0 })).events;
    while (!events.some((e) => e.kind === 'edge.member-readmitted')) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      events = (await first.client.call('events', { afterSeq: 0 })).events;
    }
    const edgeEvents = events.filter((e) => e.kind.startsWith('edge.member-'));
    expect(edgeEvents.map((e) => [e.kind, e.app, e.data?.member, e.data?.cause])).toEqual([
      ['edge.member-ejected', 'web', 'app-2', 'refused'],
      ['edge.member-readmitted', 'web', 'app-2', 'refused'],
    ]);
    expect(edgeEvents[0]?.message).toBe(
      `edge of web: upstream app-2 ejected (connection refused: 127.0.0.1:${deadPort} refused the connection)`,
    );
    expect(edgeEvents[1]?.message).toMatch(
      /^edge of web: upstream app-2 back in rotation after .+ out \(its health checks pass again\)$/,
    );

    // A member a deploy took out says since when, also after the agent restarted.
    await first.client.call('setEdgeMember', { app: 'web', id: 'app-1', enabled: false, drainTimeoutMs: 0 });
    const disabledSince = edgeOf((await first.client.call('state', {})).routes, 'web')?.pool?.[0]
      ?.disabledSinceMs;
    expect(disabledSince).toBeGreaterThan(0);
    await first.stop();
    const second = await startAgent(home);
    const restored = edgeOf((await second.client.call('state', {})).routes, 'web')?.pool;
    expect(restored?.map((m) => [m.id, m.enabled, m.disabledSinceMs, m.answerTimeoutMs])).toEqual([
      ['app-1', false, disabledSince, 700],
      ['app-2', true, null, 700],
    ]);
    await expect(
      second.client.call('ensureEdge', { ...edge, failover: { ...failover, answerTimeoutMinMs: 9_000 } }),
    ).rejects.toThrow(/invalid failover settings/);
  });

  it('refuses members of an edge that does not exist, and unknown members', async () => {
    const { client } = await startAgent(await tempHome());
    await expect(
      client.call('setEdgeMember', { app: 'web', id: 'x', enabled: false, drainTimeoutMs: 0 }),
    ).rejects.toThrow(/no edge for app web/);
    const a = await startHost('A');
    const publicPort = await freePort();
    await client.call('ensureEdge', {
      app: 'web',
      publicPort,
      bindAddress: '127.0.0.1',
      healthCheck,
      upstreams: [{ id: 'app-1', address: '127.0.0.1', port: a.port }],
    });
    await expect(
      client.call('setEdgeMember', { app: 'web', id: 'app-9', enabled: false, drainTimeoutMs: 0 }),
    ).rejects.toThrow(/no pool member app-9/);
    await expect(
      client.call('ensureEdge', {
        app: 'web',
        publicPort,
        bindAddress: '127.0.0.1',
        healthCheck,
        upstreams: [
          { id: 'app-1', address: '127.0.0.1', port: a.port },
          { id: 'app-1', address: '127.0.0.1', port: a.port },
        ],
      }),
    ).rejects.toThrow(/unique/);
  });
});
