import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DeploymentDetailView,
  DeploymentView,
  JobRecord,
  LedgerEventView,
  ReleaseView,
  SessionView,
  TrafficView,
} from '../../src/server/api-types.js';
import { isPostgresAvailable, startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { createTestProject, type TestProject } from '../helpers/project.js';
import { openEventStream, startTestServer, type EventStream, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

// `slipway server` as a real child process on examples/hello (real agent, router, targets), its store on SQLite
// and on a real PostgreSQL: reads, releases and deploys as jobs, approvals, promote and abort through the API,
// every mutation in the ledger with the token's subject as actor, live events over SSE, errors and headers.

const TEAM = `team:
  alice: { roles: [deployer] }
  bob: { roles: [approver] }
`;
const APPROVALS = '    approvals: { required: [{ role: approver, count: 1 }], expiresAfter: 1h }';
// A first deploy has nothing to compare with and runs as blue/green; later ones stop at the pause.
const CANARY = `      kind: canary
      steps:
        - setWeight: 50
        - pause: {}
      analysis:
        interval: 300ms
        minRequests: 1000000`;

const stores: Array<{ name: string; postgres: boolean }> = [
  { name: 'SQLite', postgres: false },
  { name: 'PostgreSQL', postgres: true },
];

describe.each(stores)('the server API on $name', ({ postgres }) => {
  let pg: TestPostgres | undefined;
  let project: TestProject;
  let server: TestServer;
  let alice: string;
  let bob: string;
  let viewer: string;
  let stagingViewer: string;
  let admin: string;
  let stream: EventStream;
  let stagingStream: EventStream;

  const json = async <T>(res: Response, status = 200): Promise<T> => {
    const text = await res.text();
    if (res.status !== status)
      throw new Error(`expected ${status}, got ${res.status}: ${text}\n${server.output()}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const get = <T>(path: string, token: string | null = viewer, status = 200) =>
    server.fetch(path, token).then((r) => json<T>(r, status));
  const post = <T>(path: string, token: string, body: unknown, status = 200) =>
    server.fetch(path, token, { method: 'POST', body: JSON.stringify(body) }).then((r) => json<T>(r, status));

  async function finishedJob(job: JobRecord): Promise<JobRecord> {
    return waitFor(`job ${job.id}`, async () => {
      const j = await get<JobRecord>(`/api/v1/jobs/${job.id}`);
      return j.state === 'succeeded' || j.state === 'failed' ? j : undefined;
    });
  }

  async function createRelease(version: string): Promise<void> {
    const job = await post<JobRecord>('/api/v1/releases', alice, { version }, 202);
    expect(job).toMatchObject({ kind: 'release', state: 'queued', requestedBy: 'alice' });
    expect(await finishedJob(job)).toMatchObject({ state: 'succeeded', release: version });
  }

  /** Starts a deploy as alice and waits until it asks for approval; answers its deployment id. */
  async function deployAwaitingApproval(version: string): Promise<string> {
    const job = await post<JobRecord>(
      '/api/v1/environments/production/deployments',
      alice,
      { release: version, reason: `ship ${version}` },
      202,
    );
    const id = await waitFor('the job to plan', async () => {
      const j = await get<JobRecord>(`/api/v1/jobs/${job.id}`);
      if (j.state === 'failed') throw new Error(`job failed: ${j.error}`);
      return j.deploymentId ?? undefined;
    });
    await phase(id, 'waiting-for-approval');
    return id;
  }

  async function phase(id: string, wanted: string): Promise<DeploymentDetailView> {
    return waitFor(`deployment ${id} to be ${wanted}`, async () => {
      const d = await get<DeploymentDetailView>(`/api/v1/deployments/${id}`);
      return d.deployment.phase === wanted ? d : undefined;
    });
  }

  async function ledger(query = ''): Promise<LedgerEventView[]> {
    return get<LedgerEventView[]>(`/api/v1/ledger?${query.includes('limit=') ? '' : 'limit=500'}${query}`);
  }

  beforeAll(async () => {
    let storeUrl: string | undefined;
    if (postgres) {
      if (!isPostgresAvailable()) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
      pg = await startTestPostgres();
      await pg.createDatabase('slipway');
      storeUrl = pg.url('slipway');
    }
    project = await createTestProject();
    project.writeConfig(project.config({ strategy: CANARY, environmentExtra: APPROVALS }) + TEAM);
    server = await startTestServer(project, storeUrl ? { storeUrl } : {});
    alice = await server.token('alice', ['deployer']);
    bob = await server.token('bob', ['approver']);
    viewer = await server.token('viewer', ['viewer']);
    stagingViewer = await server.token('stella', ['viewer:staging']);
    admin = await server.token('root', ['admin']);
    stream = await openEventStream(server.url, viewer);
    stagingStream = await openEventStream(server.url, stagingViewer);
  }, 120_000);

  afterAll(async () => {
    stream?.close();
    stagingStream?.close();
    if (server) expect(await server.stop()).toBe(0);
    await project?.dispose();
    await pg?.stop();
  });

  it('answers /healthz and the session, with secure headers; refuses without a token', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true, replica: expect.any(String) as unknown });
    expect(health.headers.get('content-security-policy')).toBe(
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('x-frame-options')).toBe('DENY');
    expect(health.headers.get('referrer-policy')).toBe('no-referrer');
    expect(health.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(health.headers.get('strict-transport-security')).toBeNull();

    const session = await server.fetch('/api/v1/session', alice);
    expect(session.headers.get('cache-control')).toBe('no-store');
    expect(await json<SessionView>(session)).toEqual({
      name: 'alice',
      grants: [{ role: 'deployer', environments: '*' }],
      via: 'token',
      csrfToken: null,
    });

    const anonymous = await server.fetch('/api/v1/environments', null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('x-frame-options')).toBe('DENY');
    expect(await anonymous.json()).toMatchObject({
      error: 'authentication required',
      hint: expect.any(String) as unknown,
    });
    const forged = await server.fetch('/api/v1/environments', 'slp_not-a-real-token');
    expect(forged.status).toBe(401);
  });

  it('creates releases as jobs and lists them newest first, searchable', async () => {
    await createRelease('1.0.0');
    await createRelease('1.1.0');
    const releases = await get<ReleaseView[]>('/api/v1/releases');
    expect(releases.map((r) => r.version)).toEqual(['1.1.0', '1.0.0']);
    expect(releases[0]).toMatchObject({
      createdBy: 'alice',
      goodIn: [],
      sizeBytes: expect.any(Number) as unknown,
    });
    expect((await get<ReleaseView[]>('/api/v1/releases?q=1.1')).map((r) => r.version)).toEqual(['1.1.0']);
    expect((await get<ReleaseView[]>('/api/v1/releases?limit=1')).map((r) => r.version)).toEqual(['1.1.0']);
    const created = (await ledger('&kind=release.created')).map((e) => e.release);
    expect(created).toEqual(['1.1.0', '1.0.0']);
  });

  it('plans as `slipway plan` prints, deploys as a job, approves as the token subject, and streams it live', async () => {
    const planned = await get<{ plan: { release: { version: string } }; text: string }>(
      '/api/v1/environments/production/plan?release=1.0.0',
    );
    expect(planned.plan.release.version).toBe('1.0.0');
    expect(planned.text).toContain('wait for approval of the deploy of 1.0.0 to production by 1 approver');

    // A viewer may read but not deploy; a deployer may not approve.
    const refused = await server.fetch('/api/v1/environments/production/deployments', viewer, {
      method: 'POST',
      body: '{}',
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'viewer may not deploy in production' });

    const id = await deployAwaitingApproval('1.0.0');
    // The stream (polling the store) says so too; the page would show the approve button now.
    await stream.waitFor(
      (e) =>
        e.event === 'deployment' && matches(e.data, { deployment: { id, phase: 'waiting-for-approval' } }),
      'the deployment waiting for approval',
    );
    const waiting = await get<DeploymentDetailView>(`/api/v1/deployments/${id}`, alice);
    expect(waiting.deployment).toMatchObject({ release: '1.0.0', createdBy: 'alice', outcome: null });
    expect(waiting.allowed).toMatchObject({ approve: false, abort: true });
    expect(waiting.steps.find((s) => s.kind === 'await-approval')?.status).toBe('running');
    expect((await get<DeploymentDetailView>(`/api/v1/deployments/${id}`, bob)).allowed.approve).toBe(true);

    const byDeployer = await server.fetch(`/api/v1/deployments/${id}/approve`, alice, {
      method: 'POST',
      body: '{}',
    });
    expect(byDeployer.status).toBe(403);
    const decision = await post<{ state: string; approvedBy: string[]; missing: unknown[] }>(
      `/api/v1/deployments/${id}/approve`,
      bob,
      { comment: 'looks good' },
    );
    expect(decision).toEqual({ state: 'approved', approvedBy: ['bob'], missing: [] });

    const done = await phase(id, 'succeeded');
    expect(done.steps.every((s) => s.phase === 'on-failure' || s.status === 'succeeded')).toBe(true);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('1.0.0');
    const granted = (await ledger(`&kind=approval.granted`)).find((e) => e.deploymentId === id);
    expect(granted).toMatchObject({ actor: 'bob', environment: 'production' });
    const started = (await ledger('&kind=deploy.started')).find((e) => e.deploymentId === id);
    expect(started?.actor).toBe('alice');

    // The stream saw the job, the deployment's steps and its ledger events as they happened.
    await stream.waitFor(
      (e) =>
        e.event === 'ledger' && matches(e.data, { event: { kind: 'deploy.succeeded', deploymentId: id } }),
      'deploy.succeeded',
    );
    expect(stream.events.some((e) => e.event === 'job' && matches(e.data, { job: { kind: 'deploy' } }))).toBe(
      true,
    );
    const steps = stream.events.filter((e) => e.event === 'step' && matches(e.data, { deploymentId: id }));
    expect(steps.some((e) => matches(e.data, { status: 'running' }))).toBe(true);
    expect(steps.some((e) => matches(e.data, { status: 'succeeded' }))).toBe(true);
    await stream.waitFor(
      (e) => e.event === 'deployment' && matches(e.data, { deployment: { id, phase: 'succeeded' } }),
      'the deployment succeeded',
    );
    const ledgerIds = stream.events.filter((e) => e.event === 'ledger').map((e) => Number(e.id));
    expect(ledgerIds).toEqual([...ledgerIds].sort((a, b) => a - b));
    expect(new Set(ledgerIds).size).toBe(ledgerIds.length);
  });

  it('aborts and promotes paused canaries through the API, with the actor in the ledger', async () => {
    const aborted = await deployAwaitingApproval('1.1.0');
    await post(`/api/v1/deployments/${aborted}/approve`, bob, {});
    await phase(aborted, 'paused');
    expect(await post(`/api/v1/deployments/${aborted}/abort`, alice, { reason: 'looks wrong' }, 202)).toEqual(
      {
        ok: true,
      },
    );
    const end = await waitFor('the aborted canary to end', async () => {
      const d = await get<DeploymentDetailView>(`/api/v1/deployments/${aborted}`);
      return d.deployment.outcome ?? undefined;
    });
    expect(end).not.toBe('succeeded');
    const abortRequest = (await ledger('&kind=deploy.abort-requested')).find(
      (e) => e.deploymentId === aborted,
    );
    expect(abortRequest).toMatchObject({ actor: 'alice' });
    expect(abortRequest?.message).toContain('looks wrong');
    // A finished deployment cannot be signalled: 409.
    const late = await server.fetch(`/api/v1/deployments/${aborted}/promote`, alice, { method: 'POST' });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: expect.stringContaining('already ended') as unknown });

    const promoted = await deployAwaitingApproval('1.1.0');
    await post(`/api/v1/deployments/${promoted}/approve`, bob, {});
    await phase(promoted, 'paused');
    await post(`/api/v1/deployments/${promoted}/promote`, alice, {}, 202);
    await phase(promoted, 'succeeded');
    const promoteRequest = (await ledger('&kind=deploy.promote-requested')).find(
      (e) => e.deploymentId === promoted,
    );
    expect(promoteRequest).toMatchObject({ actor: 'alice' });
    expect(await (await fetch(`${project.url}/`)).text()).toContain('1.1.0');
  });

  it('rejects with a reason only, as the approver', async () => {
    await createRelease('1.2.0');
    const id = await deployAwaitingApproval('1.2.0');
    const noReason = await server.fetch(`/api/v1/deployments/${id}/reject`, bob, {
      method: 'POST',
      body: '{}',
    });
    expect(noReason.status).toBe(400);
    expect(await noReason.json()).toMatchObject({ error: expect.stringContaining('comment') as unknown });
    expect(await post(`/api/v1/deployments/${id}/reject`, bob, { comment: 'not today' })).toMatchObject({
      state: 'rejected',
    });
    const end = await waitFor('the rejected deployment to end', async () => {
      const d = await get<DeploymentDetailView>(`/api/v1/deployments/${id}`);
      return d.deployment.outcome ?? undefined;
    });
    // Rejected before anything changed: failed (or rolled back by no-op on-failure steps).
    expect(['failed', 'rolled-back']).toContain(end);
    const rejected = (await ledger('&kind=approval.rejected')).find((e) => e.deploymentId === id);
    expect(rejected).toMatchObject({ actor: 'bob' });
    expect(rejected?.message).toContain('not today');
  });

  it('reads environments, deployments, the ledger, logs and traffic', async () => {
    const [status] =
      await get<Array<{ environment: string; lastDeployment: { release: string } }>>('/api/v1/environments');
    expect(status).toMatchObject({ environment: 'production', lastDeployment: { release: '1.2.0' } });
    const one = await get<{ hosts: Array<{ targets: Array<{ release: string }> }> }>(
      '/api/v1/environments/production',
    );
    expect(one.hosts[0]?.targets.map((t) => t.release)).toContain('1.1.0');

    const deployments = await get<DeploymentView[]>('/api/v1/deployments?environment=production');
    expect(deployments.map((d) => `${d.release} ${d.outcome}`)).toEqual([
      expect.stringMatching(/^1\.2\.0 (failed|rolled-back)$/),
      '1.1.0 succeeded',
      expect.stringMatching(/^1\.1\.0 (rolled-back|aborted|failed)$/),
      '1.0.0 succeeded',
    ]);
    expect((await get<DeploymentView[]>('/api/v1/deployments?limit=2')).length).toBe(2);

    const page = await ledger('&limit=3');
    expect(page).toHaveLength(3);
    const older = await get<LedgerEventView[]>(`/api/v1/ledger?limit=3&beforeSeq=${page.at(-1)?.seq}`);
    expect(older[0]?.seq).toBeLessThan(page.at(-1)?.seq ?? 0);
    const searched = await ledger('&q=NOT%20TODAY');
    expect(searched.length).toBeGreaterThan(0);
    expect(searched.every((e) => e.message.toLowerCase().includes('not today'))).toBe(true);
    // order=time: by when events happened (agents' events are copied in late), then by sequence; not pageable.
    const byTime = await ledger('&order=time');
    expect(byTime.map((e) => e.seq).sort((a, b) => a - b)).toEqual(
      (await ledger()).map((e) => e.seq).sort((a, b) => a - b),
    );
    const outOfOrder = byTime.filter((e, i) => {
      const newer = byTime[i - 1];
      return newer !== undefined && (newer.atMs < e.atMs || (newer.atMs === e.atMs && newer.seq < e.seq));
    });
    expect(outOfOrder).toEqual([]);
    expect((await server.fetch('/api/v1/ledger?order=time&beforeSeq=5', admin)).status).toBe(400);
    expect((await server.fetch('/api/v1/ledger?order=random', admin)).status).toBe(400);

    const before = await get<TrafficView>('/api/v1/environments/production/traffic');
    const active = before.hosts[0]?.targets.find((t) => t.role === 'active');
    expect(active).toMatchObject({ release: '1.1.0', weight: 100 });
    for (let i = 0; i < 5; i++) await (await fetch(`${project.url}/`)).text();
    const after = await get<TrafficView>('/api/v1/environments/production/traffic');
    const same = after.hosts[0]?.targets.find((t) => t.targetId === active?.targetId);
    expect((same?.requests ?? 0) - (active?.requests ?? 0)).toBeGreaterThanOrEqual(5);
    expect(after.atMs).toBeGreaterThanOrEqual(before.atMs);
    expect(same?.latency.counts.reduce((a, b) => a + b, 0)).toBe(same?.requests);

    const logs = await get<{ lines: Array<{ targetId: string; line: string }> }>(
      '/api/v1/environments/production/logs?lines=20',
    );
    expect(logs.lines.some((l) => l.line.includes('1.1.0 listening on'))).toBe(true);
  });

  it('filters by grants: a staging viewer sees no production, in listings and on the stream', async () => {
    expect(await get<unknown[]>('/api/v1/environments', stagingViewer)).toEqual([]);
    expect(await get<unknown[]>('/api/v1/deployments', stagingViewer)).toEqual([]);
    const events = await get<LedgerEventView[]>('/api/v1/ledger?limit=500', stagingViewer);
    expect(events.map((e) => e.kind)).toContain('release.created');
    expect(events.every((e) => e.environment === null)).toBe(true);
    expect((await server.fetch('/api/v1/environments/production', stagingViewer)).status).toBe(403);
    const someDeployment = (await get<DeploymentView[]>('/api/v1/deployments?limit=1'))[0]?.id;
    expect((await server.fetch(`/api/v1/deployments/${someDeployment}`, stagingViewer)).status).toBe(403);

    await stagingStream.waitFor(
      (e) =>
        e.event === 'ledger' && matches(e.data, { event: { kind: 'release.created', release: '1.2.0' } }),
      'release.created of 1.2.0',
    );
    const seen = stagingStream.events.map(
      (e) => e.data as { event?: { environment: string | null }; job?: { environment: string | null } },
    );
    expect(seen.every((e) => (e.event ?? e.job)?.environment === null)).toBe(true);
    expect(seen.filter((e) => e.job).length).toBeGreaterThan(0);
    expect(stream.events.some((e) => matches(e.data, { event: { environment: 'production' } }))).toBe(true);
  });

  it('replays the ledger after Last-Event-ID to a reconnecting client', async () => {
    const recent = await ledger('&limit=5');
    const from = recent.at(-1)?.seq ?? 0;
    const replay = await openEventStream(server.url, viewer, from);
    try {
      const newest = recent[0]?.seq ?? 0;
      await replay.waitFor((e) => e.id === String(newest), `ledger event ${newest}`);
      const ids = replay.events.filter((e) => e.event === 'ledger').map((e) => Number(e.id));
      expect(ids.slice(0, 4)).toEqual(
        recent
          .slice(0, 4)
          .map((e) => e.seq)
          .reverse(),
      );
    } finally {
      replay.close();
    }
  });

  it('maps errors to statuses with {error, hint}', async () => {
    const missing = await server.fetch('/api/v1/deployments/d-nope', viewer);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no deployment d-nope', badInput: true });
    const env = await server.fetch('/api/v1/environments/staging', admin);
    expect(env.status).toBe(404);
    expect(await env.json()).toMatchObject({
      error: 'no environment named "staging" in slipway.yml',
      hint: expect.any(String) as unknown,
    });
    const limit = await server.fetch('/api/v1/releases?limit=0', viewer);
    expect(limit.status).toBe(400);
    const body = await server.fetch('/api/v1/environments/production/deployments', alice, {
      method: 'POST',
      body: '{"release": 1}',
    });
    expect(body.status).toBe(400);
    const unknownRelease = await server.fetch('/api/v1/environments/production/deployments', alice, {
      method: 'POST',
      body: '{"release": "9.9.9"}',
    });
    expect(unknownRelease.status).toBe(404);
    expect(await unknownRelease.json()).toMatchObject({ error: 'release 9.9.9 of hello does not exist' });
    const huge = await server.fetch('/api/v1/environments/production/deployments', alice, {
      method: 'POST',
      body: JSON.stringify({ reason: 'x'.repeat(100_000) }),
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: expect.stringContaining('larger than') as unknown });
    const route = await server.fetch('/api/v1/nothing-here', viewer);
    expect(route.status).toBe(404);
    const tokens = await server.fetch('/api/v1/tokens', alice);
    expect(tokens.status).toBe(403);
    const listed = await get<Array<{ subject: string; tokenHash?: string }>>('/api/v1/tokens', admin);
    expect(listed.map((t) => t.subject)).toEqual(expect.arrayContaining(['alice', 'bob', 'root']));
    expect(listed.every((t) => t.tokenHash === undefined)).toBe(true);
  });

  it('serves /metrics and the dashboard', async () => {
    const metrics = await server.fetch('/metrics', viewer);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toMatch(
      /slipway_server_http_requests_total\{route="\/api\/v1\/deployments\/:id",method="GET",status="200"\} \d+/,
    );
    expect(text).toMatch(
      /slipway_server_http_requests_total\{route="\/api\/v1\/environments",method="GET",status="401"\} [1-9]/,
    );
    expect(text).toMatch(/slipway_server_sse_clients [2-9]/);
    expect(text).toMatch(/slipway_server_jobs\{state="succeeded"\} [1-9]/);
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
    const replica = ((await (await fetch(`${server.url}/healthz`)).json()) as { replica: string }).replica;
    expect(text).toMatch(
      new RegExp(`slipway_server_replica_heartbeat_age_seconds\\{replica="${replica}"\\} [\\d.]+\\n`),
    );
    expect((await server.fetch('/metrics', null)).status).toBe(401);

    // A client that goes away is removed from the replica's clients.
    const clients = async () =>
      Number(
        /slipway_server_sse_clients (\d+)/.exec(await (await server.fetch('/metrics', viewer)).text())?.[1],
      );
    const before = await clients();
    const extra = await openEventStream(server.url, viewer);
    expect(await clients()).toBe(before + 1);
    extra.close();
    await waitFor('the closed stream to be removed', async () =>
      (await clients()) === before ? true : undefined,
    );

    const page = await fetch(`${server.url}/deployments/some-id`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toMatch(/<html/i);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });
});

/** Whether `value` has every field of `pattern` (deeply). */
function matches(value: unknown, pattern: Record<string, unknown>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([k, v]) => {
    const actual = (value as Record<string, unknown>)[k];
    return typeof v === 'object' && v !== null ? matches(actual, v as Record<string, unknown>) : actual === v;
  });
}
