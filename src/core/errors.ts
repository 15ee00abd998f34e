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
        hint: 'wait for that deployment to finish; a lock whose process is gone is taken over automatically',
      },
    );
  }
}

export class NotFoundError extends SlipwayError {}

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
