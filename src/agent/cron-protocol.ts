/** The agent's methods for scheduled jobs (`cron:` of slipway.yml; docs/processes.md, "Scheduled jobs"). */

/** One scheduled job as a release carries it for one environment, units resolved. */
export interface CronJobSpec {
  name: string;
  /** Five cron fields, or six with seconds first. */
  schedule: string;
  timezone: string;
  /** A string runs through `sh -c`; a list is an argv. */
  command: string | string[];
  overlap: 'skip' | 'queue';
  timeoutMs: number;
}

/**
 * `setSchedule`: whether this host runs the scheduled jobs of an environment's route, and which jobs each release
 * has. At each tick the agent runs the jobs of the release the route serves then, in its live target's directory,
 * env and secrets, so a switch hands the jobs over by itself.
 */
export interface SetScheduleMethod {
  params: {
    app: string;
    /** The route's key on this host (`routeKeyOf`). */
    route: string;
    environment: string;
    /** False: another host runs them; the route's schedule here (and what it remembers) is dropped. */
    runsHere: boolean;
    /** The jobs by release (the one deployed and the one it replaces); merged with those known already. */
    jobsByRelease: Record<string, CronJobSpec[]>;
  };
  result: { jobs: number; dropped: boolean };
}

/** `cronLogs`: the last lines a job printed, across its runs (its log file on this host). */
export interface CronLogsMethod {
  params: { route: string; job: string; lines: number };
  /** Both streams in the order printed, each run headed by a `--- <job> <tick> in <release> ---` line. */
  result: { lines: string[]; found: boolean };
}
