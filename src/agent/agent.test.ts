import { createConnection } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { AgentError } from '../core/errors.js';
import { freePort } from '../router/test-backends.js';
import type { AgentClient } from './agent-client.js';
import {
  connectClient,
  get,
  reapTarget,
  releaseArtifact,
  spawnAgentProcess,
  startAgent,
  startRouterProcess,
  targetSpec,
  tempHome,
  until,
} from './agent-test-kit.js';
import { agentPaths } from './agent-paths.js';
import { isGroupAlive } from './process-util.js';
import { AGENT_PROTOCOL_VERSION, type AgentEvent } from './protocol.js';
import { AGENT_VERSION } from './version.js';

// The Agent as the control plane sees it: JSON lines over its unix socket, beside the real router process of its
// home (the data plane), with real target processes and real HTTP through the router's public port.

const LOCAL = '127.0.0.1';

/** Reads the journal from where the last read stopped, as the control plane's event sync does. */
function journalReader(client: AgentClient) {
  let cursor = 0;
  return async (): Promise<AgentEvent[]> => {
    const { events } = await client.call('events', { afterSeq: cursor });
    for (const e of events) expect(e.seq).toBe(++cursor); // in order, none skipped
    return events;
  };
}

const kinds = (events: AgentEvent[]): string[] => events.map((e) => e.kind);

/** The error a call fails with, as the client raises it. */
async function failure(call: Promise<unknown>): Promise<AgentError> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentError);
  return err as AgentError;
}

/** Installs a release and starts a healthy target of it. */
async function healthyTarget(client: AgentClient, home: string, version: string, id: string) {
  await client.call('installRelease', { app: 'web', ...(await releaseArtifact(home, version)) });
  const target = await client.call('startTarget', targetSpec(id, version));
  reapTarget(target.pid);
  expect(await client.call('waitHealthy', { id, timeoutMs: 20_000 })).toMatchObject({ healthy: true });
  return target;
}

describe('Agent, through its control socket beside the router process', () => {
  it('installs releases, starts targets, routes users, splits a canary and journals it all in order', async () => {
    const home = await tempHome();
    const router = await startRouterProcess(home);
    const { client } = await startAgent(home);
    const journal = journalReader(client);

    expect(await client.call('ping', {})).toEqual({
      agentVersion: AGENT_VERSION,
      protocol: AGENT_PROTOCOL_VERSION,
      pid: process.pid,
    });
    expect(await client.call('state', {})).toMatchObject({
      agentVersion: AGENT_VERSION,
      targets: [],
      routes: [],
      releases: [],
      supervisor: 'the test',
      routerPid: router.pid,
    });
    const first = await journal();
    expect(kinds(first)).toEqual(['agent.started', 'router.started']);
    expect(first[1]?.data).toMatchObject({ source: 'router' }); // copied from the router process's journal

    // Releases: installed once from their artifact, then found installed.
    const v1 = await releaseArtifact(home, '1.0.0');
    expect(await client.call('installRelease', { app: 'web', ...v1 })).toMatchObject({
      app: 'web',
      version: '1.0.0',
      sha256: v1.sha256,
      alreadyInstalled: false,
    });
    expect(await client.call('installRelease', { app: 'web', ...v1 })).toMatchObject({
      alreadyInstalled: true,
    });

    // A target: started once (a second start answers the running one), then healthy.
    const spec = targetSpec('web-1-a', '1.0.0');
    const a = await client.call('startTarget', spec);
    reapTarget(a.pid);
    expect(a).toMatchObject({ id: 'web-1-a', app: 'web', release: '1.0.0', state: 'running' });
    expect(a.alreadyRunning).toBe(false);
    expect(await client.call('startTarget', spec)).toMatchObject({ alreadyRunning: true, pid: a.pid });
    expect(await client.call('waitHealthy', { id: a.id, timeoutMs: 20_000 })).toMatchObject({
      healthy: true,
    });
    expect(kinds(await journal())).toEqual(['target.started']);

    // The route: its public port answers 503 until a target is switched in, then the target answers through it.
    const publicPort = await freePort();
    const route = { app: 'web', publicPort, bindAddress: LOCAL };
    expect(await client.call('ensureRoute', route)).toMatchObject({ ...route, active: null, created: true });
    expect(await client.call('ensureRoute', route)).toMatchObject({ created: false });
    expect((await get(publicPort)).status).toBe(503);
    expect(
      await client.call('switchRoute', { app: 'web', targetId: a.id, drainTimeoutMs: 1_000 }),
    ).toMatchObject({ previous: null });
    expect(await get(publicPort)).toEqual({ status: 200, body: '1.0.0 web-1-a' });
    const switched = (await journal()).filter((e) => e.kind === 'traffic.switched');
    expect(switched.map((e) => [e.targetId, e.release, e.data?.source])).toEqual([
      ['web-1-a', '1.0.0', 'router'],
    ]);

    // A canary: half the users (sticky), and the opt-in header either way.
    const b = await healthyTarget(client, home, '2.0.0', 'web-2-b');
    const split = { app: 'web', canaryTargetId: b.id, header: 'x-canary', cookie: 'sw-canary' };
    expect(await client.call('setWeight', { ...split, weight: 50 })).toEqual({ weight: 50 });
    expect((await get(publicPort, { 'x-canary': 'always' })).body).toBe('2.0.0 web-2-b');
    expect((await get(publicPort, { 'x-canary': 'never' })).body).toBe('1.0.0 web-1-a');
    const bodies = new Set<string>();
    for (let i = 0; i < 30; i++) bodies.add((await get(publicPort)).body); // a new user each time
    expect(bodies).toEqual(new Set(['1.0.0 web-1-a', '2.0.0 web-2-b']));
    expect((await client.call('state', {})).routes[0]?.split).toEqual({ canary: b.id, weight: 50 });
    expect(await client.call('setWeight', { ...split, weight: 0 })).toEqual({ weight: 0 });
    for (let i = 0; i < 5; i++) expect((await get(publicPort)).body).toBe('1.0.0 web-1-a');

    // The switch to the new release; the old one leaves the route and is stopped.
    expect(
      await client.call('switchRoute', { app: 'web', targetId: b.id, drainTimeoutMs: 1_000 }),
    ).toMatchObject({ previous: a.id });
    expect(await get(publicPort)).toEqual({ status: 200, body: '2.0.0 web-2-b' });
    const served = (await client.call('metrics', { app: 'web' })).targets;
    expect(served.find((t) => t.targetId === b.id)?.requests).toBeGreaterThan(1);
    expect(await client.call('stopTarget', { id: a.id, drainTimeoutMs: 1_000 })).toEqual({ stopped: true });
    expect(await client.call('stopTarget', { id: a.id, drainTimeoutMs: 1_000 })).toEqual({ stopped: false });
    expect(isGroupAlive(a.pid as number)).toBe(false);
    const state = await client.call('state', {});
    expect(state.targets.map((t) => [t.id, t.state, t.health])).toEqual([['web-2-b', 'running', 'healthy']]);
    expect(state.routes.map((r) => [r.app, r.publicPort, r.active])).toEqual([['web', publicPort, b.id]]);
    expect(state.releases.map((r) => r.version).sort()).toEqual(['1.0.0', '2.0.0']);

    // Everything above, in the order it happened: the agent's own events and the router's, copied in.
    const rest = kinds(await journal()).filter((k) => /^(target|traffic)\./.test(k));
    expect(rest).toEqual([
      'target.started',
      'traffic.weighted',
      'traffic.weighted',
      'traffic.switched',
      'target.stopped',
    ]);
  });

  it('keeps targets, routes, retire timers and its journal across a restart; the router serves meanwhile', async () => {
    const home = await tempHome();
    await startRouterProcess(home);
    const first = await startAgent(home);
    const a = await healthyTarget(first.client, home, '1.0.0', 'web-1-a');
    const b = await healthyTarget(first.client, home, '2.0.0', 'web-2-b');
    const publicPort = await freePort();
    await first.client.call('ensureRoute', { app: 'web', publicPort, bindAddress: LOCAL });
    await first.client.call('switchRoute', { app: 'web', targetId: a.id, drainTimeoutMs: 1_000 });
    await first.client.call('switchRoute', { app: 'web', targetId: b.id, drainTimeoutMs: 1_000 });
    // The previous release stays warm for a while (the keep-warm of a blue/green switch), past the restart.
    const { stopAtMs } = await first.client.call('retireTarget', { id: a.id, afterMs: 5_000 });
    const before = await first.client.call('state', {});
    const seen = (await first.client.call('events', { afterSeq: 0 })).events;
    await first.stop({ stopTargets: false });

    // No agent: the router process still serves users, and the targets still run.
    expect(await get(publicPort)).toEqual({ status: 200, body: '2.0.0 web-2-b' });
    expect([a.pid, b.pid].map((pid) => isGroupAlive(pid as number))).toEqual([true, true]);

    const second = await startAgent(home);
    const after = await second.client.call('state', {});
    const summary = (s: typeof before) => s.targets.map((t) => [t.id, t.pid, t.state, t.stopAtMs]);
    expect(summary(after)).toEqual(summary(before));
    expect(after.targets.find((t) => t.id === a.id)?.stopAtMs).toBe(stopAtMs);
    expect(after.routes).toEqual(before.routes);
    expect(after.releases).toEqual(before.releases);
    expect(after.startedAtMs).toBeGreaterThanOrEqual(before.startedAtMs);

    // The journal goes on where it was: the old events kept, the new ones after them, none copied twice.
    const lastSeq = seen.at(-1)?.seq ?? 0;
    const all = (await second.client.call('events', { afterSeq: 0 })).events;
    expect(all.slice(0, seen.length)).toEqual(seen);
    const fresh = all.slice(seen.length);
    expect(fresh[0]?.seq).toBe(lastSeq + 1);
    expect(kinds(fresh)).toEqual(['target.adopted', 'target.adopted', 'agent.started']);
    expect(kinds(all).filter((k) => k === 'traffic.switched')).toHaveLength(2);

    // When its keep-warm ends, the new agent retires the warm target.
    let retired: AgentEvent | undefined;
    await until('the warm target to be retired', async () => {
      const { events } = await second.client.call('events', { afterSeq: lastSeq });
      retired = events.find((e) => e.kind === 'target.retired');
      return retired !== undefined;
    });
    expect(retired).toMatchObject({ app: 'web', targetId: a.id, release: '1.0.0' });
    expect((await second.client.call('state', {})).targets.map((t) => t.id)).toEqual([b.id]);
    expect(isGroupAlive(a.pid as number)).toBe(false);
    expect(await get(publicPort)).toEqual({ status: 200, body: '2.0.0 web-2-b' });
  });

  it('answers errors with a code, and keeps the connection for the next request', async () => {
    const home = await tempHome();
    await startRouterProcess(home);
    const { client, agent } = await startAgent(home);

    const unknown = await failure(client.call('reboot' as 'ping', {}));
    expect([unknown.code, unknown.message]).toEqual(['UnknownMethod', 'unknown agent method reboot']);

    const missing = await failure(client.call('startTarget', targetSpec('web-9-x', '9.0.0')));
    expect(missing.code).toBe('NotFoundError');
    expect(missing.message).toBe('release 9.0.0 of web is not installed on this host');
    expect(missing.hint).toMatch(/install the release/);

    const v1 = await releaseArtifact(home, '1.0.0');
    const damaged = await failure(
      client.call('installRelease', { app: 'web', ...v1, sha256: '0'.repeat(64) }),
    );
    expect(damaged.code).toBe('SlipwayError');
    expect(damaged.message).toMatch(/has hash .*, expected 000000000000/);

    for (const call of [
      client.call('waitHealthy', { id: 'nobody', timeoutMs: 1_000 }),
      client.call('retireTarget', { id: 'nobody', afterMs: 0 }),
      client.call('switchRoute', { app: 'web', targetId: 'nobody', drainTimeoutMs: 0 }),
    ]) {
      const err = await failure(call);
      expect([err.code, err.message]).toEqual(['NotFoundError', 'no target nobody on this host']);
    }

    // A target that exits at once: not healthy (with its stderr), and no traffic goes to it.
    await client.call('installRelease', { app: 'web', ...v1 });
    const crash = targetSpec('web-1-crash', '1.0.0', 'echo "cannot bind" >&2; exit 3');
    reapTarget((await client.call('startTarget', crash)).pid);
    const outcome = await client.call('waitHealthy', { id: crash.id, timeoutMs: 10_000 });
    expect(outcome.healthy).toBe(false);
    expect(outcome.reason).toMatch(/cannot bind/);
    const publicPort = await freePort();
    await client.call('ensureRoute', { app: 'web', publicPort, bindAddress: LOCAL });
    const refused = await failure(
      client.call('switchRoute', { app: 'web', targetId: crash.id, drainTimeoutMs: 0 }),
    );
    expect(refused.message).toMatch(/traffic only goes to a running target/);

    // A line that is not JSON is answered (without an id), not dropped.
    const raw = createConnection(agent.paths.socket);
    raw.write('not json\n');
    const [chunk] = (await once(raw, 'data')) as [Buffer];
    raw.destroy();
    expect(JSON.parse(chunk.toString())).toEqual({
      id: -1,
      error: { code: 'BadRequest', message: 'request is not valid JSON' },
    });

    expect(await client.call('ping', {})).toMatchObject({ protocol: AGENT_PROTOCOL_VERSION });
  });

  it('shuts the host down on request: targets, the router process and the agent process', async () => {
    const home = await tempHome();
    const paths = agentPaths(home);
    const router = await startRouterProcess(home);
    const agent = await spawnAgentProcess('agent', home, paths.socket, { SLIPWAY_SUPERVISOR: 'the test' });
    const client = await connectClient(paths.socket);
    expect((await client.call('state', {})).routerPid).toBe(router.pid);
    const a = await healthyTarget(client, home, '1.0.0', 'web-1-a');
    const publicPort = await freePort();
    await client.call('ensureRoute', { app: 'web', publicPort, bindAddress: LOCAL });
    await client.call('switchRoute', { app: 'web', targetId: a.id, drainTimeoutMs: 0 });
    expect((await get(publicPort)).body).toBe('1.0.0 web-1-a');

    expect(await client.call('shutdown', { stopTargets: true })).toEqual({ ok: true });
    expect(await agent.exited).toBe(0);
    expect(await router.exited).toBe(0);
    expect(isGroupAlive(a.pid as number)).toBe(false);
    await expect(get(publicPort)).rejects.toThrow(/ECONNREFUSED/);
  });
});
