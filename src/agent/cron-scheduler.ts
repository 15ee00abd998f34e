import { deriveNextTickMs, type CronSchedule } from '../core/cron-schedule.js';
import type { Clock } from '../core/clock.js';
import type { CronJobSpec, SetScheduleMethod } from './cron-protocol.js';
import { runCronJob, type LiveTarget } from './cron-run.js';
import { deriveDueTicks } from './cron-ticks.js';
import { readJsonIfExists, writeJsonDurable } from './state-file.js';

/** A route's schedule on this host, as saved in `cron.json`. */
interface RouteSchedule {
  app: string;
  environment: string;
  /** The jobs of each release, newest last (a few are kept: a rollback goes back to one of them). */
  jobsByRelease: Record<string, CronJobSpec[]>;
  releases: string[];
  /** Per job: the newest tick handled (run, skipped or missed). Survives releases and agent restarts. */
  cursors: Record<string, number>;
}

interface CronFile {
  version: 1;
  routes: Record<string, RouteSchedule>;
}

/** Releases whose jobs a host keeps per route (the live one and those a rollback may go back to). */
const KEPT_RELEASES = 10;
/** The longest the scheduler sleeps: a clock that jumped is noticed within it. */
const MAX_SLEEP_MS = 30_000;
/** Ticks a `queue` job keeps waiting behind a run; more are skipped. */
const MAX_QUEUED = 10;

export interface CronPorts {
  clock: Clock;
  logsDir: string;
  statePath: string;
  /** The route's live target (release, its directory, env, secrets, container), or null when nothing serves. */
  live: (route: string) => Promise<LiveTarget | null>;
  event: (kind: string, route: string, release: string | null, message: string, data: object) => void;
  log: (line: string) => void;
}

/**
 * Runs the scheduled jobs of the routes this host was given (`setSchedule`): at each tick, the jobs of the
 * release the route serves then, in its live target. The newest tick handled per job is saved (fsync'd) before
 * its run starts, so an agent restart neither doubles nor re-runs a tick; ticks that passed while no agent ran are
 * ledgered as missed (`cron.missed`), not caught up.
 */
export class CronScheduler {
  #file: CronFile = { version: 1, routes: {} };
  #saving: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #waking: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  readonly #startedAtMs: number;
  /** Runs going, and ticks waiting behind them, by `<route>\0<job>`. */
  readonly #running = new Map<string, Promise<void>>();
  readonly #queued = new Map<string, number[]>();

  private constructor(private readonly ports: CronPorts) {
    this.#startedAtMs = ports.clock.nowMs();
  }

  static async start(ports: CronPorts): Promise<CronScheduler> {
    const scheduler = new CronScheduler(ports);
    const saved = await readJsonIfExists<CronFile>(ports.statePath).catch(() => undefined);
    if (saved?.version === 1) scheduler.#file = saved;
    scheduler.#wake();
    return scheduler;
  }

  async set(params: SetScheduleMethod['params']): Promise<SetScheduleMethod['result']> {
    const had = this.#file.routes[params.route];
    if (!params.runsHere) {
      delete this.#file.routes[params.route];
      await this.#save();
      return { jobs: 0, dropped: had !== undefined };
    }
    const schedule: RouteSchedule = had ?? {
      app: params.app,
      environment: params.environment,
      jobsByRelease: {},
      releases: [],
      cursors: {},
    };
    for (const [release, jobs] of Object.entries(params.jobsByRelease)) {
      schedule.jobsByRelease[release] = jobs;
      schedule.releases = [...schedule.releases.filter((r) => r !== release), release];
    }
    for (const old of schedule.releases.slice(0, -KEPT_RELEASES)) delete schedule.jobsByRelease[old];
    schedule.releases = schedule.releases.slice(-KEPT_RELEASES);
    this.#file.routes[params.route] = schedule;
    await this.#save();
    this.#wake();
    const newest = schedule.releases.at(-1);
    return { jobs: newest ? (schedule.jobsByRelease[newest]?.length ?? 0) : 0, dropped: false };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#waking;
    // Runs going are left to finish on their own (they write their own log files); their end is not recorded.
  }

  #wake(): void {
    if (this.#stopped) return;
    if (this.#waking) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#waking = this.#round()
      .catch((err: unknown) => this.ports.log(`scheduled jobs: ${String(err)}`))
      .finally(() => {
        this.#waking = null;
        if (this.#again) {
          this.#again = false;
          this.#wake();
        } else this.#sleep();
      });
  }

  #sleep(): void {
    if (this.#stopped) return;
    const now = this.ports.clock.nowMs();
    let next = now + MAX_SLEEP_MS;
    for (const schedule of Object.values(this.#file.routes)) {
      for (const jobs of Object.values(schedule.jobsByRelease)) {
        for (const job of jobs) next = Math.min(next, deriveNextTickMs(scheduleOf(job), now) ?? next);
      }
    }
    this.#timer = setTimeout(() => this.#wake(), Math.max(0, next - this.ports.clock.nowMs()));
    this.#timer.unref();
  }

  /** One wake: every route's due ticks, decided and saved first, then started. */
  async #round(): Promise<void> {
    const starts: Array<() => void> = [];
    const now = this.ports.clock.nowMs();
    let changed = false;
    for (const [route, schedule] of Object.entries(this.#file.routes)) {
      const live = await this.ports.live(route).catch(() => null);
      const release = live?.release ?? null;
      // Nothing serves: the newest release's jobs count their ticks as missed.
      const jobs = schedule.jobsByRelease[release ?? schedule.releases.at(-1) ?? ''] ?? [];
      for (const job of jobs) {
        const due = deriveDueTicks(
          scheduleOf(job),
          schedule.cursors[job.name] ?? null,
          now,
          this.#startedAtMs,
        );
        changed ||= schedule.cursors[job.name] !== due.cursor;
        schedule.cursors[job.name] = due.cursor;
        if (due.missed > 0) {
          this.ports.event(
            'cron.missed',
            route,
            release,
            `${job.name}: ${due.missed} tick${due.missed === 1 ? '' : 's'} passed while the agent was not running; not caught up`,
            { job: job.name, missed: due.missed },
          );
        }
        if (due.run.length === 0) continue;
        if (!live) {
          for (const tick of due.run) {
            this.ports.event(
              'cron.missed',
              route,
              null,
              `${job.name}: nothing serves ${schedule.environment} at ${new Date(tick).toISOString()}; not run`,
              { job: job.name, tickMs: tick, missed: 1 },
            );
          }
          continue;
        }
        starts.push(() => this.#due(route, schedule, job, due.run));
      }
    }
    // Saved (fsync'd) before any run starts: a crash after this never runs these ticks again.
    if (changed) await this.#save();
    for (const start of starts) start();
  }

  /**
   * The ticks of a job due at one wake. Several are due when the wake came late (a busy host): they were late
   * because of the scheduler, not because of a run, so they run one after the other whatever the overlap policy.
   * The policy decides for the first when a run of an earlier wake still goes.
   */
  #due(route: string, schedule: RouteSchedule, job: CronJobSpec, ticks: number[]): void {
    const [first, ...late] = ticks;
    if (first === undefined) return;
    const key = `${route}\u0000${job.name}`;
    const running = this.#running.has(key);
    this.#tick(route, schedule, job, first);
    if (late.length === 0) return;
    if (running && job.overlap === 'skip') {
      for (const tick of late) this.#tick(route, schedule, job, tick);
      return;
    }
    this.#queued.set(key, [...(this.#queued.get(key) ?? []), ...late]);
  }

  /** A due tick: run it now, or queue or skip it behind a run of the same job. */
  #tick(route: string, schedule: RouteSchedule, job: CronJobSpec, tick: number): void {
    const key = `${route}\u0000${job.name}`;
    if (this.#running.has(key)) {
      const queue = this.#queued.get(key) ?? [];
      if (job.overlap === 'queue' && queue.length < MAX_QUEUED) {
        this.#queued.set(key, [...queue, tick]);
        return;
      }
      const why =
        job.overlap === 'queue' ? `${MAX_QUEUED} ticks wait already` : 'the previous run still goes';
      this.ports.event(
        'cron.skipped',
        route,
        null,
        `${job.name}: tick ${new Date(tick).toISOString()} skipped: ${why}`,
        { job: job.name, tickMs: tick },
      );
      return;
    }
    const run = this.#run(route, schedule, job, tick).finally(() => {
      this.#running.delete(key);
      const [next, ...rest] = this.#queued.get(key) ?? [];
      if (rest.length > 0) this.#queued.set(key, rest);
      else this.#queued.delete(key);
      if (next !== undefined && !this.#stopped) this.#tick(route, schedule, job, next);
    });
    this.#running.set(key, run);
  }

  async #run(route: string, schedule: RouteSchedule, job: CronJobSpec, tick: number): Promise<void> {
    // Read at the start of the run, not at the tick: a queued run after a switch uses the new release.
    const live = await this.ports.live(route).catch(() => null);
    const liveJob = live ? schedule.jobsByRelease[live.release]?.find((j) => j.name === job.name) : undefined;
    if (!live || !liveJob) {
      this.ports.event(
        'cron.missed',
        route,
        live?.release ?? null,
        `${job.name}: not run at ${new Date(tick).toISOString()}: ${live ? `release ${live.release} has no such job` : `nothing serves ${schedule.environment}`}`,
        { job: job.name, tickMs: tick, missed: 1 },
      );
      return;
    }
    const startedAtMs = this.ports.clock.nowMs();
    const data = { job: job.name, tickMs: tick };
    this.ports.event(
      'cron.started',
      route,
      live.release,
      `${job.name} started (tick ${new Date(tick).toISOString()})`,
      data,
    );
    try {
      const ended = await runCronJob(
        { logsDir: this.ports.logsDir, route, app: schedule.app, environment: schedule.environment },
        liveJob,
        tick,
        live,
      );
      const ok = ended.exitCode === 0;
      const how = ended.timedOut
        ? `stopped after its timeout`
        : ended.exitCode !== null
          ? `exit ${ended.exitCode}`
          : `killed by ${ended.signal ?? 'a signal'}`;
      this.ports.event(
        ok ? 'cron.ran' : 'cron.failed',
        route,
        live.release,
        `${job.name} ${ok ? 'ran' : 'failed'} in ${live.release}: ${how} (took ${ended.durationMs}ms)`,
        { ...data, startedAtMs, ...ended },
      );
    } catch (err) {
      this.ports.event(
        'cron.failed',
        route,
        live.release,
        `${job.name} could not start in ${live.release}: ${String(err)}`,
        { ...data, error: String(err) },
      );
    }
  }

  /** Saves one after the other (they share a temp file); each save writes the state as it is when it runs. */
  #save(): Promise<void> {
    const next = this.#saving.then(() => writeJsonDurable(this.ports.statePath, this.#file));
    this.#saving = next.catch(() => undefined);
    return next;
  }
}

function scheduleOf(job: CronJobSpec): CronSchedule {
  return { expression: job.schedule, timezone: job.timezone };
}
