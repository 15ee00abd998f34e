import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';

// `cron:` (issue 17, item 3): each job runs once per tick per environment, on the chosen host, in the release that
// serves there, handed over at the switch. The runs are counted in files the jobs write, one line per run.

interface Run {
  tick: string;
  release: string;
  startedMs?: number;
}

function readRuns(path: string): Run[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [tick = '', release = '', started] = l.split(' ');
      return { tick, release, ...(started ? { startedMs: Math.round(Number(started) / 1e6) } : {}) };
    });
}

/** Every tick from the first run to the last, exactly once: whole seconds in a row. */
function expectEveryTickOnce(runs: Run[]): void {
  const ticks = runs.map((r) => Date.parse(r.tick));
  const sorted = [...ticks].sort((a, b) => a - b);
  expect(new Set(ticks).size, `a tick ran twice: ${JSON.stringify(runs)}`).toBe(ticks.length);
  const gaps = sorted.slice(1).filter((t, i) => t - (sorted[i] as number) !== 1000);
  expect(gaps, `ticks skipped: ${JSON.stringify(runs)}`).toEqual([]);
}

describe('scheduled jobs', () => {
  let project: TestProject;
  let counts: string;
  let skips: string;
  let queued: string;
  let overlaps: string;
  let lock: string;
  let receiver: Server;
  const notified: Array<{ event: string; message: string }> = [];

  beforeAll(async () => {
    project = await createTestProject();
    // A local webhook receiver: what the notifications deliver.
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        notified.push(JSON.parse(body) as { event: string; message: string });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const address = receiver.address();
    const receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
    counts = join(project.dir, 'counts.txt');
    skips = join(project.dir, 'skips.txt');
    queued = join(project.dir, 'queued.txt');
    overlaps = join(project.dir, 'overlaps.txt');
    lock = join(project.dir, 'lock');
    const cron = `cron:
  - name: count
    schedule: "* * * * * *"
    command: echo "$SLIPWAY_JOB_TICK $SLIPWAY_RELEASE" >> ${counts}
  - name: slow-skip
    schedule: "* * * * * *"
    command: mkdir ${lock}-skip || echo overlap >> ${overlaps}; echo "$SLIPWAY_JOB_TICK $SLIPWAY_RELEASE" >> ${skips}; sleep 2.5; rmdir ${lock}-skip
  - name: slow-queue
    schedule: "* * * * * *"
    overlap: queue
    command: mkdir ${lock}-queue || echo overlap >> ${overlaps}; echo "$SLIPWAY_JOB_TICK $SLIPWAY_RELEASE $(date +%s%N)" >> ${queued}; sleep 1.3; rmdir ${lock}-queue
  - name: fails
    schedule: "*/2 * * * * *"
    command: echo "failing in $SLIPWAY_RELEASE"; exit 3
`;
    const monitoring = `    monitoring:
      window: 1m
      alerts:
        - { name: jobs-failing, when: "jobFailures > 0" }
`;
    const notifications = `notifications:
  channels:
    - { name: oncall, url: "${receiverUrl}", events: [cron-failed] }
`;
    project.writeConfig(
      project.config({
        strategy: '      kind: blue-green\n      keepWarm: 30s\n      drainTimeout: 1s',
        environmentExtra: monitoring,
      }) +
        cron +
        notifications,
    );
    for (const version of ['1.0.0', '2.0.0', '3.0.0'])
      expectOk(await project.cli(['release', 'create', '--version', version]));
  }, 120_000);
  afterAll(async () => {
    if (!process.env.KEEP_PROJECT) await project?.dispose();
    await new Promise((r) => receiver?.close(r));
  });

  it('runs each tick once across two deploys, handing over at the switch', async () => {
    const plan = expectOk(await project.cli(['plan', 'production', '--release', '1.0.0'])).stdout;
    expect(plan).toContain('run the scheduled jobs of production here, once per tick');

    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    await waitFor(
      'three runs in 1.0.0',
      () => Promise.resolve(readRuns(counts).length >= 3 ? true : undefined),
      30_000,
    );
    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    await waitFor('three runs in 2.0.0', () =>
      Promise.resolve(readRuns(counts).filter((r) => r.release === '2.0.0').length >= 3 ? true : undefined),
    );
    expectOk(await project.cli(['deploy', 'production', '--release', '3.0.0']));
    await waitFor('three runs in 3.0.0', () =>
      Promise.resolve(readRuns(counts).filter((r) => r.release === '3.0.0').length >= 3 ? true : undefined),
    );

    const runs = readRuns(counts);
    expectEveryTickOnce(runs);
    // In tick order the releases only move forward: once 2.0.0 served a tick, 1.0.0 never ran another.
    const byTick = [...runs].sort((a, b) => Date.parse(a.tick) - Date.parse(b.tick)).map((r) => r.release);
    expect([...new Set(byTick)]).toEqual(['1.0.0', '2.0.0', '3.0.0']);
    expect(byTick).toEqual([...byTick].sort());
  }, 180_000);

  it('skips a tick while the run before still goes (overlap: skip), and ledgers it', async () => {
    const runs = readRuns(skips);
    expect(runs.length).toBeGreaterThan(2);
    // A run takes 2.5 s: the ticks that find it going are skipped, never run later, and no two runs overlap.
    expect(existsSync(overlaps)).toBe(false);
    const ticks = runs.map((r) => Date.parse(r.tick)).sort((a, b) => a - b);
    expect(runs.length).toBeLessThan(((ticks.at(-1) ?? 0) - (ticks[0] ?? 0)) / 1000);
    const history = expectOk(await project.cli(['history', 'production', '--json', '--limit', '500'])).stdout;
    const events = JSON.parse(history) as Array<{
      kind: string;
      message: string;
      data: Record<string, unknown>;
    }>;
    expect(events.some((e) => e.kind === 'cron.skipped' && e.data.job === 'slow-skip')).toBe(true);
    expect(events.some((e) => e.kind === 'cron.skipped' && e.data.job === 'count')).toBe(false);
  });

  it('runs every tick in turn when runs overlap (overlap: queue)', () => {
    const runs = readRuns(queued);
    expect(runs.length).toBeGreaterThan(4);
    expectEveryTickOnce(runs);
    expect(existsSync(overlaps)).toBe(false);
    // A run takes 1.3 s: later ticks wait behind it and start well after their time.
    expect(runs.some((r) => (r.startedMs ?? 0) - Date.parse(r.tick) > 1000)).toBe(true);
  });

  it('ledgers each run with its exit code and duration; a failure as cron.failed', async () => {
    const history = expectOk(await project.cli(['history', 'production', '--json', '--limit', '500'])).stdout;
    const events = JSON.parse(history) as Array<{
      kind: string;
      release: string | null;
      message: string;
      data: { job?: string; exitCode?: number; durationMs?: number; host?: string };
    }>;
    const failed = events.find((e) => e.kind === 'cron.failed' && e.data.job === 'fails');
    expect(failed?.data.exitCode).toBe(3);
    expect(failed?.message).toMatch(/^fails failed in \d\.0\.0: exit 3 \(took \d+ms\)$/);
    expect(failed?.data.host).toBe('local');
    const ran = events.find((e) => e.kind === 'cron.ran' && e.data.job === 'count');
    expect(ran?.data.exitCode).toBe(0);
    expect(typeof ran?.data.durationMs).toBe('number');
  });

  it('a failing run reaches the notifications and the alert rules (jobFailures)', async () => {
    await waitFor('a cron-failed notification', () =>
      Promise.resolve(notified.find((n) => n.event === 'cron-failed') ? true : undefined),
    );
    expect(notified.find((n) => n.event === 'cron-failed')?.message).toMatch(
      /^fails failed in \d\.0\.0: exit 3/,
    );
    expectOk(await project.cli(['monitor', 'production', '--once']));
    const history = expectOk(
      await project.cli(['history', 'production', '--json', '--limit', '1000']),
    ).stdout;
    const events = JSON.parse(history) as Array<{ kind: string; message: string }>;
    expect(events.find((e) => e.kind === 'alert.firing')?.message).toContain('jobs-failing');
  }, 60_000);

  it('neither doubles nor catches up the ticks an agent restart passes over: they are ledgered as missed', async () => {
    const before = readRuns(counts).length;
    expectOk(await project.cli(['agent', 'stop']));
    await new Promise((r) => setTimeout(r, 2500));
    expectOk(await project.cli(['agent', 'start']));
    await waitFor('three runs after the restart', () =>
      Promise.resolve(readRuns(counts).length >= before + 3 ? true : undefined),
    );
    const runs = readRuns(counts);
    const ticks = runs.map((r) => Date.parse(r.tick)).sort((a, b) => a - b);
    expect(new Set(ticks).size, `a tick ran twice: ${JSON.stringify(runs)}`).toBe(ticks.length);
    const notRun = ticks.slice(1).reduce((sum, t, i) => sum + (t - (ticks[i] as number)) / 1000 - 1, 0);
    expect(notRun).toBeGreaterThanOrEqual(2);
    const history = expectOk(
      await project.cli(['history', 'production', '--json', '--limit', '1000']),
    ).stdout;
    const events = JSON.parse(history) as Array<{
      kind: string;
      message: string;
      data: { job?: string; missed?: number };
    }>;
    const missed = events.filter(
      (e) =>
        e.kind === 'cron.missed' &&
        e.data.job === 'count' &&
        e.message.includes('while the agent was not running'),
    );
    // Every tick between the first run and the last either ran once or is in the ledger as missed.
    expect(missed.reduce((sum, e) => sum + (e.data.missed ?? 0), 0)).toBe(notRun);
  }, 120_000);

  it('a rollback hands the jobs back to the release it goes back to, tick by tick', async () => {
    const before = readRuns(counts).length;
    expectOk(await project.cli(['rollback', 'production', '--to', '2.0.0']));
    await waitFor('three runs in 2.0.0 after the rollback', () =>
      Promise.resolve(
        readRuns(counts)
          .slice(before)
          .filter((r) => r.release === '2.0.0').length >= 3
          ? true
          : undefined,
      ),
    );
    // From the last run before the rollback on: every tick once, 3.0.0 then 2.0.0.
    const runs = readRuns(counts).slice(Math.max(0, before - 1));
    expectEveryTickOnce(runs);
    const byTick = [...runs].sort((a, b) => Date.parse(a.tick) - Date.parse(b.tick)).map((r) => r.release);
    expect([...new Set(byTick)]).toEqual(['3.0.0', '2.0.0']);
  }, 120_000);

  it("shows a job's output with slipway logs --job", async () => {
    const logs = expectOk(await project.cli(['logs', 'production', '--job', 'fails', '-n', '20'])).stdout;
    expect(logs).toMatch(/failing in \d\.0\.0/);
    expect(logs).toMatch(/--- fails \S+ in \d\.0\.0 ---/);
    const unknown = await project.cli(['logs', 'production', '--job', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no scheduled job named nope');
  });
});
