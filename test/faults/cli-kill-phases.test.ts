import { describe, it, type ExpectStatic } from 'vitest';
import { startLoad } from '../helpers/load-loop.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import {
  proveHealthChecked,
  readStatus,
  readStoreRecord,
  spawnWatched,
  type EnvStatus,
} from './deploy-phases.js';

// The CLI killed (SIGKILL: an OOM killer, a lost CI runner) or stopped (SIGTERM: a cancelled CI job, which must
// behave as Ctrl-C) at each phase of a deploy of a good 2.0.0 while 1.0.0 serves under steady load, then
// followed by `deploy --resume`, a fresh `deploy` of 2.0.0 or `rollback`. Whatever the row: no request fails, what
// serves afterwards passed its health check (in the deployment that switched to it, or before it was kept warm
// by a deployment that completed), and no target is left running that nothing routes to and nothing will stop.

type Phase = 'health check' | 'after switch';
type FollowUp = 'resume' | 'deploy' | 'rollback';

interface Ids {
  /** The 2.0.0 target the interrupted deploy started. */
  started: string;
  /** The 1.0.0 target that served when the deploy started. */
  old: string;
  /** The deployment that was interrupted. */
  interrupted: string;
}

interface Row {
  phase: Phase;
  signal: 'SIGKILL' | 'SIGTERM';
  followUp: FollowUp;
  /** 0.9.0 served before 1.0.0 (and is warm): a rollback while 2.0.0 never served goes back to it. */
  withEarlier?: boolean;
  serves: string;
  /** Which target serves in the end: the one the interrupted deploy started, one the follow-up started, a warm one. */
  active: 'started' | 'fresh' | 'warm 0.9.0';
  /** The release kept warm at the end (scheduled to stop), if any. */
  warm: string | null;
  /** Lines the follow-up must print. */
  lines: (ids: Ids) => RegExp[];
}

const LIVE = (v: string): RegExp => new RegExp(`^✔ ${v.replaceAll('.', '\\.')} is live in production`, 'm');

/**
 * 10 of the 12 phase × signal × follow-up combinations: every phase × signal, every follow-up three or four times.
 * Left out as equivalent: SIGTERM before the switch, then rollback (SIGTERM lets the health check finish and frees
 * the lock; the rollback then stops the leftover exactly as after the SIGKILL row, which is the harder case:
 * unverified leftover, lock of a dead holder), and SIGTERM after the switch, then deploy (as its SIGKILL row, minus
 * the lock takeover). A rollback when nothing served before 1.0.0 is refused ("no earlier release … to roll back
 * to"), so the rollback row before the switch has 0.9.0 deployed first.
 */
const ROWS: Row[] = [
  {
    phase: 'health check',
    signal: 'SIGKILL',
    followUp: 'deploy',
    serves: '2.0.0',
    active: 'fresh',
    warm: '1.0.0',
    // The unverified leftover is stopped first, never switched to; a new target is checked.
    lines: (ids) => [
      new RegExp(`ok\\s+stop 2\\.0\\.0 \\(${ids.started}\\) on local`),
      /ok\s+health check 2\.0\.0 on local/,
      LIVE('2.0.0'),
    ],
  },
  {
    phase: 'health check',
    signal: 'SIGKILL',
    followUp: 'resume',
    serves: '2.0.0',
    active: 'started',
    warm: '1.0.0',
    // The health check the kill cut short runs again before the switch.
    lines: (ids) => [
      new RegExp(
        `^Resuming hello 2\\.0\\.0 to production \\(.*deployment ${ids.interrupted}, now serving 1\\.0\\.0\\)$`,
        'm',
      ),
      /start\s+health check 2\.0\.0 on local\n.*ok\s+health check 2\.0\.0 on local/,
      LIVE('2.0.0'),
    ],
  },
  {
    phase: 'health check',
    signal: 'SIGKILL',
    followUp: 'rollback',
    withEarlier: true,
    serves: '0.9.0',
    active: 'warm 0.9.0',
    warm: '1.0.0',
    lines: (ids) => [
      /^Rolling\b.*\bhello 0\.9\.0\b/m,
      new RegExp(`ok\\s+stop 2\\.0\\.0 \\(${ids.started}\\) on local`),
      /ok\s+switch traffic to 0\.9\.0 on local/,
      LIVE('0.9.0'),
    ],
  },
  {
    phase: 'health check',
    signal: 'SIGTERM',
    followUp: 'resume',
    serves: '2.0.0',
    active: 'started',
    warm: '1.0.0',
    // SIGTERM let the health check finish: it passed in this deployment, the resume goes on from the switch.
    lines: (ids) => [
      new RegExp(
        `^Resuming hello 2\\.0\\.0 to production \\(.*deployment ${ids.interrupted}, now serving 1\\.0\\.0\\)$`,
        'm',
      ),
      /skip\s+health check 2\.0\.0 on local: done before the interruption/,
      /ok\s+switch traffic to 2\.0\.0 on local/,
      LIVE('2.0.0'),
    ],
  },
  {
    phase: 'health check',
    signal: 'SIGTERM',
    followUp: 'deploy',
    serves: '2.0.0',
    active: 'fresh',
    warm: '1.0.0',
    // Even a leftover that passed its health check (in another deployment) is not reused: stopped, started anew.
    lines: (ids) => [
      new RegExp(`ok\\s+stop 2\\.0\\.0 \\(${ids.started}\\) on local`),
      /ok\s+health check 2\.0\.0 on local/,
      LIVE('2.0.0'),
    ],
  },
  {
    phase: 'after switch',
    signal: 'SIGKILL',
    followUp: 'rollback',
    serves: '1.0.0',
    active: 'fresh',
    warm: '2.0.0',
    // 1.0.0 was switched away from but never kept warm (the keep-warm step did not run): not reused unchecked.
    lines: (ids) => [
      /^Rolling\b.*\bhello 1\.0\.0\b/m,
      new RegExp(`ok\\s+stop 1\\.0\\.0 \\(${ids.old}\\) on local`),
      /ok\s+health check 1\.0\.0 on local/,
      LIVE('1.0.0'),
    ],
  },
  {
    phase: 'after switch',
    signal: 'SIGKILL',
    followUp: 'deploy',
    serves: '2.0.0',
    active: 'started',
    warm: null,
    // 2.0.0 serves healthily after its checked switch: left as it is; the 1.0.0 nothing holds warm is stopped.
    lines: (ids) => [
      /local already serves 2\.0\.0 healthily: left as it is/,
      new RegExp(`ok\\s+stop 1\\.0\\.0 \\(${ids.old}\\) on local`),
      LIVE('2.0.0'),
    ],
  },
  {
    phase: 'after switch',
    signal: 'SIGKILL',
    followUp: 'resume',
    serves: '2.0.0',
    active: 'started',
    warm: '1.0.0',
    // The lock of the dead CLI is taken over; done steps are not run again; the bake and keep-warm are.
    lines: (ids) => [
      new RegExp(`took over the lock of .*deployment ${ids.interrupted}`),
      new RegExp(
        `^Resuming hello 2\\.0\\.0 to production \\(.*deployment ${ids.interrupted}, now serving 2\\.0\\.0\\)$`,
        'm',
      ),
      /skip\s+switch traffic to 2\.0\.0 on local: done before the interruption/,
      /ok\s+bake 2\.0\.0/,
      /ok\s+keep 1\.0\.0 warm/,
      LIVE('2.0.0'),
    ],
  },
  {
    phase: 'after switch',
    signal: 'SIGTERM',
    followUp: 'resume',
    serves: '2.0.0',
    active: 'started',
    warm: '1.0.0',
    lines: (ids) => [
      new RegExp(
        `^Resuming hello 2\\.0\\.0 to production \\(.*deployment ${ids.interrupted}, now serving 2\\.0\\.0\\)$`,
        'm',
      ),
      /skip\s+switch traffic to 2\.0\.0 on local: done before the interruption/,
      /ok\s+keep 1\.0\.0 warm/,
      LIVE('2.0.0'),
    ],
  },
  {
    phase: 'after switch',
    signal: 'SIGTERM',
    followUp: 'rollback',
    serves: '1.0.0',
    active: 'fresh',
    warm: '2.0.0',
    lines: (ids) => [
      /^Rolling\b.*\bhello 1\.0\.0\b/m,
      new RegExp(`ok\\s+stop 1\\.0\\.0 \\(${ids.old}\\) on local`),
      /ok\s+health check 1\.0\.0 on local/,
      LIVE('1.0.0'),
    ],
  },
];

/** A line that marks each phase; the signal is sent as soon as it is printed. */
const PHASE_LINE: Record<Phase, RegExp> = {
  // 2.0.0 takes 3 s to become healthy: the signal lands while its health check is still failing.
  'health check': /start\s+health check 2\.0\.0 on local/,
  // A bake follows the switch, so the deploy is still before keep-warm, clean-up and its final ledger entry.
  'after switch': /ok\s+switch traffic to 2\.0\.0 on local/,
};

const MAX_REQUESTS = 5_000_000;
/** Generous: a row waits for a lane, and the machine may be busy with other suites. */
const ROW_TIMEOUT_MS = 300_000;

/** 1.0.0 (after 0.9.0 if asked) serves; 2.0.0 is a good release, slow to become healthy in the first phase. */
async function prepare(project: TestProject, row: Row): Promise<void> {
  if (row.withEarlier) expectOk(await project.cli(['release', 'create', '--version', '0.9.0']));
  expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
  if (row.phase === 'health check')
    project.writeConfig(project.config({ env: { START_DELAY_MS: '3000' }, healthStartTimeout: '60s' }));
  expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
  if (row.withEarlier) expectOk(await project.cli(['deploy', 'production', '--release', '0.9.0']));
  expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  if (row.phase === 'after switch')
    project.writeConfig(project.config({ environmentExtra: '    bake: { duration: 5s, interval: 300ms }' }));
}

async function served(project: TestProject): Promise<string> {
  return (await fetch(project.url)).text();
}

function activeOf(status: EnvStatus): EnvStatus['targets'][number] | undefined {
  return status.targets.find((t) => t.id === status.route?.active);
}

/** Rows run two at a time (each on its own project and port): most of a row is waiting, not work. */
function createLanes(count: number): <T>(work: () => Promise<T>) => Promise<T> {
  let free = count;
  const queue: Array<() => void> = [];
  return async (work) => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => queue.push(resolve));
    try {
      return await work();
    } finally {
      const next = queue.shift();
      if (next) next();
      else free++;
    }
  };
}

const inLane = createLanes(2);

describe('the CLI killed at each phase of a deploy under load, then deploy, deploy --resume or rollback', () => {
  for (const row of ROWS) {
    it.concurrent(
      `${row.signal} during the ${row.phase}, then ${row.followUp}: ${row.serves} serves, checked`,
      async ({ expect }) => {
        await inLane(async () => {
          const project = await createTestProject();
          const cleanups: Array<() => Promise<unknown>> = [];
          try {
            await runRow(project, row, expect, cleanups);
          } finally {
            for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
            await project.dispose();
          }
        });
      },
      ROW_TIMEOUT_MS,
    );
  }
});

async function runRow(
  p: TestProject,
  row: Row,
  expect: ExpectStatic,
  cleanups: Array<() => Promise<unknown>>,
): Promise<void> {
  await prepare(p, row);

  const load = startLoad(p.url, {
    concurrency: 2,
    maxRequests: MAX_REQUESTS,
    maxMs: ROW_TIMEOUT_MS, // never ends on its own before the row does: it covers the whole row
    timeoutMs: 5_000,
  });
  let loadStopped = false;
  cleanups.push(async () => (loadStopped ? undefined : load.stop()));
  await load.warm(50);

  // The deploy of 2.0.0, interrupted right after its phase's line.
  const killed = spawnWatched(p, ['deploy', 'production', '--release', '2.0.0']);
  cleanups.push(async () => {
    const pid = killed.child.pid;
    if (pid !== undefined && killed.child.exitCode === null && killed.child.signalCode === null)
      process.kill(pid, 'SIGKILL');
    return killed.ended;
  });
  await killed.untilOutput(PHASE_LINE[row.phase]);
  process.kill(killed.child.pid ?? -1, row.signal);
  const end = await killed.ended;
  const out = killed.stdout();
  const interrupted = /deployment (\w+), now serving 1\.0\.0\)/.exec(out)?.[1] ?? '';
  expect(interrupted, out).not.toBe('');
  expect(out).not.toMatch(/is live in production/);
  expect(out).not.toMatch(/keep 1\.0\.0 warm/);
  if (row.signal === 'SIGKILL') {
    expect(end.signal, out).toBe('SIGKILL');
  } else {
    // As Ctrl-C: the running step finishes (a health check) or the wait stops (a bake); resumable; 130.
    expect(end.code, out + killed.stderr()).toBe(130);
    expect(out).toContain(
      `deployment ${interrupted} interrupted; continue it with: slipway deploy production --resume`,
    );
    if (row.phase === 'health check') {
      expect(out).toMatch(/ok\s+health check 2\.0\.0 on local/);
      expect(out).not.toMatch(/switch traffic/);
    } else {
      expect(out).toMatch(/skip\s+bake 2\.0\.0 .*interrupted; a resume waits again/);
    }
  }
  if (row.signal === 'SIGKILL' && row.phase === 'health check')
    expect(out).not.toMatch(/ok\s+health check 2\.0\.0/);

  // Between the interruption and the follow-up: what serves is what the phase says, the deployment is open.
  const between = await readStatus(p);
  expect(between.lastDeployment).toMatchObject({ id: interrupted, phase: 'interrupted' });
  const started = between.targets.find((t) => t.release === '2.0.0');
  const old = between.targets.find((t) => t.release === '1.0.0');
  const earlier = between.targets.find((t) => t.release === '0.9.0');
  expect(started, JSON.stringify(between)).toBeDefined();
  expect(old, JSON.stringify(between)).toMatchObject({ state: 'running', health: 'healthy' });
  expect(activeOf(between)?.release).toBe(row.phase === 'health check' ? '1.0.0' : '2.0.0');
  const ids: Ids = { started: started?.id ?? '', old: old?.id ?? '', interrupted };

  const args: Record<FollowUp, string[]> = {
    resume: ['deploy', 'production', '--resume'],
    deploy: ['deploy', 'production', '--release', '2.0.0'],
    rollback: ['rollback', 'production'],
  };
  const followUp = await p.cli(args[row.followUp]);
  const said = `${followUp.stdout}\n${followUp.stderr}`;
  expect(followUp.code, said).toBe(0);
  for (const line of row.lines(ids)) expect(said).toMatch(line);
  // A while on what serves now, then the whole row's load.
  await new Promise((r) => setTimeout(r, 500));
  const report = await load.stop();
  loadStopped = true;
  expect(report.failures).toEqual([]);
  expect(report.failed).toBe(0);
  expect(report.total).toBeLessThan(MAX_REQUESTS); // the loop ran through the whole row
  expect(report.byRelease[row.serves]).toBeGreaterThan(0);

  // What serves, by the public port, the router, the status and the ledger alike, passed its health check.
  expect(await served(p)).toContain(`hello ${row.serves}`);
  const after = await readStatus(p);
  const active = activeOf(after);
  expect(active).toMatchObject({
    release: row.serves,
    state: 'running',
    health: 'healthy',
    stopAtMs: null,
  });
  if (row.active === 'fresh') expect([ids.started, ids.old, earlier?.id]).not.toContain(active?.id);
  else expect(active?.id).toBe(row.active === 'started' ? ids.started : earlier?.id);
  expect(after.lastDeployment).toMatchObject({
    kind: row.followUp === 'rollback' ? 'rollback' : 'deploy',
    release: row.serves,
    phase: 'succeeded',
  });
  const record = await readStoreRecord(p);
  const lastSwitch = record.ledger.find((e) => e.kind === 'traffic.switched');
  expect(lastSwitch).toMatchObject({ release: row.serves, data: { targetId: active?.id } });
  expect(proveHealthChecked(record, active?.id ?? '')).toMatch(/^health-checked in/);

  // Nothing left running that nothing routes to and nothing will stop: the active target, at most one warm.
  const others = after.targets.filter((t) => t.id !== active?.id);
  expect(others.map((t) => t.release)).toEqual(row.warm ? [row.warm] : []);
  for (const t of others) expect(t.stopAtMs, JSON.stringify(t)).toBeGreaterThan(Date.now());
  for (const id of after.route?.draining ?? []) expect(others.map((t) => t.id)).toContain(id);

  // The interrupted deployment is closed: finished by the resume, or abandoned by the next deployment.
  const outcomes = Object.fromEntries(record.deployments.map((d) => [d.deployment.id, d.deployment.outcome]));
  expect(Object.values(outcomes)).not.toContain(null);
  expect(outcomes[interrupted]).toBe(row.followUp === 'resume' ? 'succeeded' : 'aborted');
  if (row.followUp !== 'resume')
    expect(record.ledger.map((e) => e.message)).toContainEqual(
      expect.stringMatching(new RegExp(`^interrupted deployment ${interrupted} abandoned: superseded by`)),
    );
}
