import { join } from 'node:path';
import type { Plan, Step } from '../../src/plan/steps.js';
import { openSqliteStore } from '../../src/store/index.js';
import type { DeploymentRecord, StepRecord } from '../../src/store/deployments.js';
import type { LedgerEventRecord } from '../../src/store/ledger.js';
import { expectOk, spawnCli, type TestProject } from '../helpers/project.js';

// What a deploy interrupted at one of its phases left: the status an operator reads, and the store's record (the
// ledger, which deployment ran which step) from which a test can tell that what serves passed its health check.

export interface TargetJson {
  id: string;
  release: string;
  state: string;
  health: string;
  stopAtMs: number | null;
}

export interface EnvStatus {
  route: { active: string; draining: string[] } | null;
  targets: TargetJson[];
  lastDeployment: { id: string; kind: string; release: string; phase: string } | null;
}

export async function readStatus(project: TestProject): Promise<EnvStatus> {
  const [env] = JSON.parse(expectOk(await project.cli(['status', 'production', '--json'])).stdout) as Array<{
    hosts: Array<Pick<EnvStatus, 'route' | 'targets'>>;
    lastDeployment: EnvStatus['lastDeployment'];
  }>;
  const host = env?.hosts[0];
  return {
    route: host?.route ?? null,
    targets: host?.targets ?? [],
    lastDeployment: env?.lastDeployment ?? null,
  };
}

/** A CLI run whose output can be awaited line by line, and whose end says which signal ended it. */
export function spawnWatched(project: TestProject, args: string[]) {
  const run = spawnCli(project, args);
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    run.child.once('close', (code, signal) => resolve({ code, signal })),
  );
  /** Resolves as soon as stdout matches (no polling: the signal must land right after the line). */
  const untilOutput = (pattern: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (!pattern.test(run.stdout())) return false;
        run.child.stdout.off('data', onData);
        resolve();
        return true;
      };
      const onData = (): void => void check();
      run.child.stdout.on('data', onData);
      void ended.then(() => {
        // A line printed just before the exit: look once more.
        if (!check())
          reject(
            new Error(
              `exited before printing ${pattern}\nstdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`,
            ),
          );
      });
      check();
    });
  return { ...run, ended, untilOutput };
}

/** What the store holds about the environment: its ledger (newest first) and every deployment with its steps. */
export interface StoreRecord {
  ledger: LedgerEventRecord[];
  deployments: Array<{ deployment: DeploymentRecord; steps: StepRecord[] }>;
}

/** Read in one go (the CLI is not running meanwhile), as `history` and the executor's resume read them. */
export async function readStoreRecord(project: TestProject): Promise<StoreRecord> {
  const store = await openSqliteStore(join(project.dir, '.slipway', 'slipway.db'));
  try {
    const ledger = await store.listEvents({ app: 'hello', environment: 'production', limit: 500 });
    const all = await store.listDeployments({ app: 'hello', environment: 'production', limit: 100 });
    const deployments = await Promise.all(
      all.map(async (deployment) => ({ deployment, steps: await store.listSteps(deployment.id) })),
    );
    return { ledger, deployments };
  } finally {
    await store.close();
  }
}

/** The recorded status of each step of a deployment's plan that `match`es ('not run' when never recorded). */
function statusesOf(entry: StoreRecord['deployments'][number], match: (s: Step) => boolean): string[] {
  const steps = (entry.deployment.plan as Plan).stages.flatMap((stage) => stage.steps);
  return steps.flatMap((step, index) =>
    match(step) ? [entry.steps.find((r) => r.index === index)?.status ?? 'not run'] : [],
  );
}

/**
 * How the target that serves came to serve: the deployment whose switch gave it traffic (the newest
 * `traffic.switched` naming it) either ran a health check of that very target that passed, or switched to it
 * warm, i.e. a deployment that completed kept it warm after it passed its health check in the deployment that
 * started it. Answers which; throws, saying what is missing, when neither holds.
 */
export function proveHealthChecked(record: StoreRecord, activeId: string): string {
  const checked = (s: Step): boolean => s.kind === 'wait-healthy' && s.targetId === activeId;
  const started = (s: Step): boolean => s.kind === 'start-target' && s.targetId === activeId;
  const keptWarm = (s: Step): boolean => s.kind === 'retire-target' && s.targetId === activeId;
  const switched = record.ledger.find(
    (e) =>
      e.kind === 'traffic.switched' && (e.data as { targetId?: string } | undefined)?.targetId === activeId,
  );
  if (!switched?.deploymentId) throw new Error(`no traffic.switched in the ledger names ${activeId}`);
  const switching = record.deployments.find((d) => d.deployment.id === switched.deploymentId);
  if (!switching) throw new Error(`deployment ${switched.deploymentId} is not in the store`);
  const checks = statusesOf(switching, checked);
  if (checks.length > 0) {
    if (!checks.includes('succeeded'))
      throw new Error(
        `${switched.deploymentId} switched to ${activeId} with no passed health check: ${checks.join()}`,
      );
    return `health-checked in ${switched.deploymentId}, which switched to it`;
  }
  // A switch to a warm target: started and checked by one deployment, kept warm by a completed one.
  const origin = record.deployments.find((d) => statusesOf(d, started).length > 0);
  if (!origin) throw new Error(`no deployment started ${activeId}`);
  if (!statusesOf(origin, checked).includes('succeeded'))
    throw new Error(`${origin.deployment.id} started ${activeId} but its health check did not pass`);
  const warmBy = record.deployments.find(
    (d) => d.deployment.outcome === 'succeeded' && statusesOf(d, keptWarm).includes('succeeded'),
  );
  if (!warmBy)
    throw new Error(
      `${switched.deploymentId} switched to ${activeId}, which no completed deployment kept warm`,
    );
  return `health-checked in ${origin.deployment.id}, kept warm by ${warmBy.deployment.id}, switched to warm by ${switched.deploymentId}`;
}
