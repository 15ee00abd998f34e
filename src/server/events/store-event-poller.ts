import type { DeploymentRecord, StepRecord, Store } from '../../store/index.js';
import type { DeploymentView, ServerEvent } from '../api-types.js';
import type { JobRecord, JobRunner } from '../jobs/job-runner.js';
import { runningNote, toDeploymentView } from '../views.js';

export interface StoreEventPollerDeps {
  store: Store;
  app: string;
  jobs: JobRunner;
  pollMs: number;
  /** Each poll's new events, oldest first. */
  onEvents(events: ServerEvent[]): void;
  onError(err: unknown): void;
}

export interface StoreEventPoller {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The newest ledger seq seen (events up to it were handed out). */
  lastSeq(): number;
}

/** How many recent deployments are looked at for unfinished ones (only the newest per environment runs). */
const RECENT_DEPLOYMENTS = 20;
const LEDGER_PAGE = 500;
const RECENT_JOBS = 50;

/**
 * The one poller of a server process: everything any replica (or a CLI on the same store) records becomes an
 * event here, so an SSE client may talk to a replica that does not run the deployment it watches. Each poll
 * reads the ledger after the last seq, the steps and phase of unfinished deployments, and the recent jobs, and
 * hands out what changed. The first poll only takes the baseline.
 */
export function createStoreEventPoller(deps: StoreEventPollerDeps): StoreEventPoller {
  let lastSeq = 0;
  const steps = new Map<string, Map<number, string>>();
  const phases = new Map<string, string>();
  const jobs = new Map<string, string>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function poll(emit: boolean): Promise<void> {
    const out: ServerEvent[] = [];
    for (;;) {
      const page = await deps.store.listEvents({ app: deps.app, afterSeq: lastSeq, limit: LEDGER_PAGE });
      // Newest first: the page's oldest events follow lastSeq; read again until caught up.
      const ordered = page.reverse();
      for (const event of ordered) if (emit) out.push({ kind: 'ledger', event });
      lastSeq = ordered.at(-1)?.seq ?? lastSeq;
      if (page.length < LEDGER_PAGE) break;
    }
    const recent = await deps.store.listDeployments({ app: deps.app, limit: RECENT_DEPLOYMENTS });
    const watched = new Map(recent.filter((d) => d.outcome === null).map((d) => [d.id, d]));
    // A deployment that finished since the last poll is read once more, for its last steps and outcome.
    for (const id of phases.keys()) {
      if (watched.has(id)) continue;
      const d = recent.find((r) => r.id === id) ?? (await deps.store.getDeployment(id));
      if (d) watched.set(id, d);
    }
    for (const d of watched.values()) out.push(...(await deploymentChanges(d, emit)));
    for (const job of await deps.jobs.list({ limit: RECENT_JOBS })) {
      const key = jobKey(job);
      if (jobs.get(job.id) === key) continue;
      jobs.set(job.id, key);
      if (emit) out.push({ kind: 'job', job });
    }
    if (jobs.size > RECENT_JOBS * 4) for (const id of [...jobs.keys()].slice(0, RECENT_JOBS)) jobs.delete(id);
    if (out.length > 0) deps.onEvents(out);
  }

  async function deploymentChanges(d: DeploymentRecord, emit: boolean): Promise<ServerEvent[]> {
    const out: ServerEvent[] = [];
    const records = await deps.store.listSteps(d.id);
    const known = steps.get(d.id) ?? new Map<number, string>();
    for (const s of records) {
      const note = runningNote(s);
      const key = stepKey(s, note);
      if (known.get(s.index) === key) continue;
      known.set(s.index, key);
      if (emit)
        out.push({
          kind: 'step',
          deploymentId: d.id,
          environment: d.environment,
          index: s.index,
          status: s.status,
          startedAtMs: s.startedAtMs,
          finishedAtMs: s.finishedAtMs,
          error: s.error,
          note,
        });
    }
    const lock = d.outcome === null ? await deps.store.getLock(d.app, d.environment) : undefined;
    const view: DeploymentView = toDeploymentView(d, records, lock);
    const phaseChanged = phases.get(d.id) !== view.phase;
    if (d.outcome === null) {
      steps.set(d.id, known);
      phases.set(d.id, view.phase);
    } else {
      steps.delete(d.id);
      phases.delete(d.id);
    }
    if (emit && phaseChanged) out.push({ kind: 'deployment', deployment: view });
    return out;
  }

  return {
    async start() {
      if (timer) return;
      await poll(false);
      timer = setInterval(() => {
        // One poll at a time: a slow store makes polls rarer, not concurrent.
        if (running) return;
        running = poll(true)
          .catch((err: unknown) => deps.onError(err))
          .finally(() => (running = null));
      }, deps.pollMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
    lastSeq: () => lastSeq,
  };
}

function stepKey(s: StepRecord, note: string | null): string {
  return `${s.status}|${s.startedAtMs ?? ''}|${s.finishedAtMs ?? ''}|${s.error ?? ''}|${note ?? ''}`;
}

/** Heartbeats change every few seconds; they are not news. */
function jobKey(j: JobRecord): string {
  return `${j.state}|${j.owner ?? ''}|${j.deploymentId ?? ''}|${j.release ?? ''}|${j.error ?? ''}|${j.takeovers}`;
}
