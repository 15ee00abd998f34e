import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, freePort } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';
import { createTestbed, type Testbed } from '../testbed/testbed.js';
import { fleetProject, type Fleet } from './fleet-project.js';

// Scheduled jobs on a testbed of 3 SSH hosts (issue 17, item 3): a job every second runs on one host only, once
// per tick, across two rolling deploys. The job appends to a file under /var/tmp, which the hosts share with this
// machine (each host has its own /tmp, /run and /var/lib/slipway; see test/testbed/README.md), so the runs are
// counted on the control plane's side.

interface Run {
  tick: number;
  release: string;
  host: string;
}

describe('scheduled jobs on a testbed of 3 hosts', () => {
  let testbed: Testbed;
  let fleet: Fleet;
  let shared: string;
  let counts: string;

  beforeAll(async () => {
    testbed = await createTestbed({ hosts: 3, name: 'cron' });
    fleet = fleetProject(testbed, await freePort());
    shared = mkdtempSync('/var/tmp/slipway-cron-');
    counts = join(shared, 'counts.txt');
    appendFileSync(
      join(fleet.dir, 'slipway.yml'),
      `cron:
  - name: count
    schedule: "* * * * * *"
    command: echo "$SLIPWAY_JOB_TICK $SLIPWAY_RELEASE $(hostname)" >> ${counts}
`,
    );
  }, 120_000);

  afterAll(async () => {
    if (fleet) {
      await fleet.cli(['agent', 'stop', '--stop-targets']);
      rmSync(fleet.dir, { recursive: true, force: true });
    }
    if (shared) rmSync(shared, { recursive: true, force: true });
    await testbed?.destroy();
  }, 120_000);

  const runs = (): Run[] =>
    existsSync(counts)
      ? readFileSync(counts, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => {
            const [tick = '', release = '', host = ''] = l.split(' ');
            return { tick: Date.parse(tick), release, host };
          })
      : [];
  const waitForRuns = (release: string): Promise<true> =>
    waitFor(
      `three runs in ${release}`,
      () => Promise.resolve(runs().filter((r) => r.release === release).length >= 3 ? true : undefined),
      60_000,
    );

  it('runs each tick exactly once, on the first host, across two deploys', async () => {
    expectOk(await fleet.cli(['setup', 'production']));
    for (const version of ['1.0.0', '2.0.0', '3.0.0'])
      expectOk(await fleet.cli(['release', 'create', '--version', version]));
    const plan = expectOk(await fleet.cli(['plan', 'production', '--release', '1.0.0'])).stdout;
    expect(plan).toContain('run no scheduled jobs of production here (h1 runs them)');

    expectOk(await fleet.cli(['deploy', 'production', '--release', '1.0.0']));
    await waitForRuns('1.0.0');
    expectOk(await fleet.cli(['deploy', 'production', '--release', '2.0.0']));
    await waitForRuns('2.0.0');
    expectOk(await fleet.cli(['deploy', 'production', '--release', '3.0.0']));
    await waitForRuns('3.0.0');

    const seen = runs();
    expect(new Set(seen.map((r) => r.host))).toEqual(new Set(['h1']));
    const ticks = seen.map((r) => r.tick).sort((a, b) => a - b);
    expect(new Set(ticks).size, 'a tick ran twice').toBe(ticks.length);
    const gaps = ticks.slice(1).filter((t, i) => t - (ticks[i] as number) !== 1000);
    expect(gaps, 'ticks skipped').toEqual([]);
    const byTick = [...seen].sort((a, b) => a.tick - b.tick).map((r) => r.release);
    expect([...new Set(byTick)]).toEqual(['1.0.0', '2.0.0', '3.0.0']);
    expect(byTick).toEqual([...byTick].sort());

    const history = expectOk(await fleet.cli(['history', 'production', '--json', '--limit', '300'])).stdout;
    const events = JSON.parse(history) as Array<{ kind: string; data: { host?: string; job?: string } }>;
    const ran = events.filter((e) => e.kind === 'cron.ran');
    expect(ran.length).toBeGreaterThan(0);
    expect(new Set(ran.map((e) => e.data.host))).toEqual(new Set(['h1']));
    const logs = expectOk(await fleet.cli(['logs', 'production', '--job', 'count'])).stdout;
    expect(logs).toMatch(/--- count \S+ in 3\.0\.0 ---/);
  }, 600_000);
});
