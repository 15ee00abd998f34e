import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { TargetSpec } from '../../src/agent/protocol.js';
import { findFreePort, isGroupAlive } from '../../src/agent/process-util.js';
import { stopLeftTarget } from '../../src/agent/stop-left-targets.js';
import type { SupervisorEvent, TargetRecord } from '../../src/runtime/target-record.js';
import { buildImage } from '../../src/release/build-image.js';
import { DockerRuntime } from '../../src/runtime/docker-runtime.js';
import { TARGET_LABEL } from '../../src/runtime/container-config.js';
import { ProcessRuntime } from '../../src/agent/process-runtime.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { waitUntilHealthy } from '../../src/router/health-check.js';
import { importNodeBaseImage, startDockerEngine, type DockerEngine } from '../helpers/docker.js';

// One suite, run against every Runtime: start, health, env and secrets, logs, stop, crash restart, adoption
// after an agent restart, cleanup. Real processes and real containers (a private dockerd); nothing is faked.

const SERVER = `import { createServer } from 'node:http';
const instance = Math.random().toString(36).slice(2);
console.log('listening ' + process.env.SLIPWAY_RELEASE);
console.error('stderr line token=' + process.env.API_TOKEN);
createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  if (req.url === '/crash') { res.end('bye'); setTimeout(() => process.exit(7), 20); return; }
  res.end(JSON.stringify({ release: process.env.SLIPWAY_RELEASE, greeting: process.env.GREETING, instance }));
}).listen(Number(process.env.PORT), '0.0.0.0');
process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(0); });
`;
const SECRET = 'hunter2-very-secret';

interface Subject {
  name: string;
  runtime: Runtime;
  events: SupervisorEvent[];
  releaseDir: string;
  container?: TargetSpec['container'];
  /** A fresh runtime instance, as after an agent restart. */
  restartRuntime(): Runtime;
  /** Whatever the target left running (a process group, a container). */
  leftovers(record: TargetRecord): Promise<number>;
  dispose(): Promise<void>;
}

function processSubject(): Promise<Subject> {
  const dir = mkdtempSync(join(tmpdir(), 'swrc-'));
  writeFileSync(join(dir, 'server.mjs'), SERVER);
  const events: SupervisorEvent[] = [];
  const make = (): Runtime =>
    new ProcessRuntime(
      join(dir, 'logs'),
      join(dir, 'releases'),
      systemClock,
      () => {},
      (e) => events.push(e),
    );
  return Promise.resolve({
    name: 'process',
    runtime: make(),
    events,
    releaseDir: dir,
    restartRuntime: make,
    leftovers: (record) => Promise.resolve(record.pid !== null && isGroupAlive(record.pid) ? 1 : 0),
    dispose: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  });
}

async function dockerSubject(): Promise<Subject> {
  const engine: DockerEngine = await startDockerEngine();
  const dir = mkdtempSync(join(tmpdir(), 'swrc-'));
  try {
    await importNodeBaseImage(engine.docker, 'slipway-test-node:base');
    writeFileSync(join(dir, 'server.mjs'), SERVER);
    writeFileSync(
      join(dir, 'Dockerfile'),
      'FROM slipway-test-node:base\nWORKDIR /app\nCOPY server.mjs /app/\n',
    );
    const image = await buildImage({
      socket: engine.socket,
      contextDir: dir,
      dockerfile: 'Dockerfile',
      exclude: [],
      app: 'contract',
      version: '1',
    });
    const events: SupervisorEvent[] = [];
    const make = (): Runtime =>
      new DockerRuntime(
        systemClock,
        () => {},
        (e) => events.push(e),
      );
    return {
      name: 'docker',
      runtime: make(),
      events,
      releaseDir: '',
      container: {
        image,
        socket: engine.socket,
        environment: 'test',
        memoryBytes: 128 * 1024 ** 2,
        cpus: 0.5,
      },
      restartRuntime: make,
      leftovers: async (record) =>
        (
          await engine.docker.listContainers({
            all: true,
            filters: { label: [`${TARGET_LABEL}=${record.spec.id}`] },
          })
        ).length,
      dispose: async () => {
        rmSync(dir, { recursive: true, force: true });
        await engine.stop();
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    await engine.stop();
    throw err;
  }
}

const HEALTH = {
  path: '/healthz',
  intervalMs: 100,
  timeoutMs: 1000,
  healthyThreshold: 1,
  unhealthyThreshold: 2,
};

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function get(
  port: number,
  path = '/',
): Promise<{ release: string; greeting: string; instance: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return (await res.json()) as { release: string; greeting: string; instance: string };
}

describe.each([
  ['process', processSubject],
  ['docker', dockerSubject],
] as const)('Runtime contract: %s', (_name, makeSubject) => {
  let s: Subject;
  let counter = 0;
  const spec = (): TargetSpec => ({
    id: `contract-1-t${++counter}`,
    app: 'contract',
    release: '1',
    command: 'node server.mjs',
    env: { GREETING: 'hej' },
    secretEnv: { API_TOKEN: SECRET },
    stopTimeoutMs: 3000,
    healthCheck: HEALTH,
    restart: { initialBackoffMs: 100, maxBackoffMs: 1000 },
    ...(s.container ? { container: s.container } : {}),
  });
  const startHealthy = async (runtime: Runtime = s.runtime): Promise<TargetRecord> => {
    const record = await runtime.start(spec(), s.releaseDir, await findFreePort());
    const outcome = await waitUntilHealthy({
      port: record.port,
      spec: HEALTH,
      timeoutMs: 20_000,
      probeAlive: () => runtime.isAlive(record.spec.id),
    });
    expect(outcome, outcome.reason).toMatchObject({ healthy: true });
    return record;
  };

  beforeAll(async () => {
    s = await makeSubject();
  }, 180_000);
  afterAll(async () => {
    for (const record of s?.runtime.list() ?? []) await s.runtime.stop(record.spec.id);
    await s?.dispose();
  }, 60_000);

  it('starts a target on its port with the env and secrets, then stops it and leaves nothing behind', async () => {
    const record = await startHealthy();
    expect(record.state).toBe('running');
    expect(await get(record.port)).toMatchObject({ release: '1', greeting: 'hej' });
    const running = { ...record };
    expect(await s.runtime.stop(record.spec.id)).toBe(true);
    expect(s.runtime.get(record.spec.id)).toBeUndefined();
    expect(s.runtime.isAlive(record.spec.id).alive).toBe(false);
    await expect(fetch(`http://127.0.0.1:${record.port}/`)).rejects.toThrow();
    expect(await s.leftovers(running)).toBe(0);
    expect(s.events.filter((e) => e.targetId === record.spec.id).map((e) => e.kind)).toEqual([
      'target.started',
      'target.stopped',
    ]);
  });

  it('reads stdout and stderr apart, and redacts secrets in the stderr tail', async () => {
    const record = await startHealthy();
    const lines = await until('both log lines', async () => {
      const got = await s.runtime.readLogs(record.spec.id, 50);
      return got.some((l) => l.stream === 'err') && got.some((l) => l.stream === 'out') ? got : undefined;
    });
    expect(lines).toContainEqual({ stream: 'out', line: 'listening 1' });
    expect(
      lines
        .filter((l) => l.stream === 'err')
        .map((l) => l.line)
        .join('\n'),
    ).toContain('stderr line token=');
    const tail = await s.runtime.stderrTail(record.spec.id);
    expect(tail).toContain('stderr line token=[redacted]');
    expect(tail).not.toContain(SECRET);
    const followed: string[] = [];
    const controller = new AbortController();
    const following = s.runtime.followLogs(
      record.spec.id,
      (l) => followed.push(`${l.stream}:${l.line}`),
      controller.signal,
    );
    await new Promise((r) => setTimeout(r, 300));
    await fetch(`http://127.0.0.1:${record.port}/crash`).then((r) => r.text());
    await until('a new start line while following', () => followed.includes('out:listening 1') || undefined);
    controller.abort();
    await following;
    await s.runtime.stop(record.spec.id);
  });

  it('restarts a crashed target with backoff and reports the exit', async () => {
    const record = await startHealthy();
    const before = await get(record.port);
    await fetch(`http://127.0.0.1:${record.port}/crash`).then((r) => r.text());
    await until('the restart', () => (s.runtime.get(record.spec.id)?.restarts ?? 0) >= 1 || undefined);
    const outcome = await waitUntilHealthy({
      port: record.port,
      spec: HEALTH,
      timeoutMs: 20_000,
      probeAlive: () => s.runtime.isAlive(record.spec.id),
    });
    expect(outcome.healthy).toBe(true);
    const after = await get(record.port);
    expect(after.instance).not.toBe(before.instance);
    const exited = s.events.find((e) => e.targetId === record.spec.id && e.kind === 'target.exited');
    expect(exited?.data).toMatchObject({ code: 7 });
    expect(s.events.some((e) => e.targetId === record.spec.id && e.kind === 'target.restarted')).toBe(true);
    expect(s.runtime.get(record.spec.id)?.lastExit?.code).toBe(7);
    const running = { ...record };
    await s.runtime.stop(record.spec.id);
    expect(await s.leftovers(running)).toBe(0);
  });

  it('is adopted, still running, by a new runtime after an agent restart', async () => {
    const record = await startHealthy();
    const before = await get(record.port);
    s.runtime.detach();
    const saved = JSON.parse(JSON.stringify(record)) as TargetRecord;
    const next = s.restartRuntime();
    await next.adopt(saved);
    expect(next.get(record.spec.id)?.state).toBe('running');
    expect(s.events.some((e) => e.targetId === record.spec.id && e.kind === 'target.adopted')).toBe(true);
    expect((await get(record.port)).instance).toBe(before.instance);
    // The adopted target is supervised: a crash is restarted by the new runtime.
    await fetch(`http://127.0.0.1:${record.port}/crash`).then((r) => r.text());
    await until(
      'the restart by the adopting runtime',
      () => (next.get(record.spec.id)?.restarts ?? 0) >= 1 || undefined,
    );
    await until(
      'the restarted target running',
      () => next.get(record.spec.id)?.state === 'running' || undefined,
    );
    const running = { ...(next.get(record.spec.id) as TargetRecord) };
    expect(await next.stop(record.spec.id)).toBe(true);
    expect(await s.leftovers(running)).toBe(0);
    s.runtime = next;
  });

  it('is stopped from its record alone once its agent died (`agent stop --stop-targets` of a dead agent)', async () => {
    const record = await startHealthy();
    s.runtime.detach(); // the agent is gone: nobody supervises the target, it serves on
    const saved = JSON.parse(JSON.stringify(record)) as TargetRecord;
    expect(await get(saved.port)).toMatchObject({ release: '1' });

    const report = await stopLeftTarget(saved);

    expect(report).toMatchObject({ kind: 'stopped', id: saved.spec.id });
    await expect(fetch(`http://127.0.0.1:${saved.port}/`)).rejects.toThrow();
    expect(await s.leftovers(saved)).toBe(0);
    expect(await stopLeftTarget(saved)).toMatchObject({ kind: 'gone', id: saved.spec.id });
    s.runtime = s.restartRuntime();
  });
});
