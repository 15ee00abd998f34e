/**
 * The few named errors Slipway raises. Only the CLI entry (and later the server) turns them into output;
 * every message names the cause and, where there is one, the fix.
 */
export class SlipwayError extends Error {
  /** A short hint on how to fix the problem, printed under the message. */
  readonly hint: string | undefined;
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

export interface ConfigIssue {
  /** Dotted path of the key, e.g. `environments.production.strategy.keepWarm`. */
  path: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

export class ConfigError extends SlipwayError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], options?: { hint?: string }) {
    super(formatConfigIssues(issues), options);
    this.issues = issues;
  }
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.file
    ? `${issue.file}${issue.line ? `:${issue.line}${issue.column ? `:${issue.column}` : ''}` : ''}: `
    : '';
  const path = issue.path ? `${issue.path}: ` : '';
  return `${where}${path}${issue.message}`;
}

function formatConfigIssues(issues: ConfigIssue[]): string {
  const n = issues.length;
  return `${n} problem${n === 1 ? '' : 's'} in the configuration:\n${issues.map((i) => `  - ${formatConfigIssue(i)}`).join('\n')}`;
}

export class HostCommandError extends SlipwayError {
  constructor(
    readonly host: string,
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderrTail: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(
      `command failed on ${host} (exit ${exitCode ?? 'signal'}): ${argv.join(' ')}${stderrTail ? `\n${stderrTail}` : ''}`,
      options,
    );
  }
}

export class HealthCheckError extends SlipwayError {}

export class LockHeldError extends SlipwayError {
  constructor(
    readonly environment: string,
    readonly holder: string,
    readonly since: string,
    readonly deploymentId: string | null,
  ) {
    super(
      `environment ${environment} is locked by ${holder} since ${since}${deploymentId ? ` (deployment ${deploymentId})` : ''}`,
      {
        // A dead holder on this machine is taken over without asking; one on another machine cannot be checked.
        hint: `wait for that deployment to finish; if its process died on another machine, remove the lock with: ${unlockCommand(environment)}`,
      },
    );
  }
}

/** The command that removes an environment's lock, as hints print it. */
export function unlockCommand(environment: string): string {
  return `slipway unlock ${environment} --reason "…"`;
}

/** Another process holds the store's write lock (SQLite: "database is locked") longer than a write waits. */
export class StoreBusyError extends SlipwayError {
  constructor(
    readonly where: string,
    readonly waitedMs: number,
    options?: { cause?: unknown },
  ) {
    super(
      `the store ${where} is locked by another process: a write waited ${waitedMs / 1000}s for it (database is locked)`,
      {
        ...options,
        hint: 'another slipway command (a deploy, a server, a monitor) is writing it: try again once it is done; "slipway status" and "slipway history" still answer meanwhile',
      },
    );
  }
}

/** A write failed for want of space (ENOSPC, EDQUOT, SQLITE_FULL): names the file and the way out. */
export class DiskFullError extends SlipwayError {
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`no space left on the disk holding ${path}`, {
      ...options,
      hint: `free space on that disk ("df -h ${dirnameOf(path)}" shows what is left), then try again`,
    });
  }
}

/** Node's errno codes for a full disk or an exhausted quota. */
export function isDiskFullErrno(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function dirnameOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut > 0 ? path.slice(0, cut) : cut === 0 ? '/' : '.';
}

export class NotFoundError extends SlipwayError {}

/**
 * Bad input: the command names an environment, a release, a deployment … that is not there. The CLI exits 2 on it
 * (as on every bad input); the server answers 404, as for anything not found.
 */
export class UnknownNameError extends NotFoundError {}

/** Bad input: an argument or option that cannot be used as given (a missing one, a value that is not a time). */
export class InputError extends SlipwayError {}

/** Whether the error is the user's input (exit 2), not a failure of what it asked for (exit 1). */
export function isBadInput(error: unknown): boolean {
  return error instanceof ConfigError || error instanceof InputError || error instanceof UnknownNameError;
}

export class ConflictError extends SlipwayError {}

/** The agent answered with an error; carries the agent-side error name. */
export class AgentError extends SlipwayError {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, options);
  }
}
