import { formatDurationMs } from '../core/duration.js';
import { SlipwayError } from '../core/errors.js';
import { redact } from '../core/secret.js';
import { ENV_LIMITS, checkEnvValue } from './env-schema.js';
import type { CommandRun } from '../core/run-command.js';

/** A secret's source could not give its value. Names the secret and the environment, never a value. */
export class SecretSourceError extends SlipwayError {
  constructor(
    readonly secret: string,
    readonly environment: string,
    message: string,
    options?: { hint?: string },
  ) {
    super(`secret ${secret} (environment ${environment}): ${message}`, options);
  }
}

export interface SecretCommandContext {
  secret: string;
  environment: string;
  command: string | readonly string[];
  timeoutMs: number;
  /** Values known so far (other secrets): a manager's stderr may echo one, and none may be shown. */
  knownValues: readonly string[];
}

/** Bytes of stdout a command may print: the largest value, and its newline. */
export const SECRET_COMMAND_MAX_STDOUT_BYTES = ENV_LIMITS.valueBytes + 2;
/** Lines of a failing command's stderr shown in the error. */
const STDERR_LINES = 5;
const STDERR_LINE_CHARS = 300;

/**
 * The value a secret's command gave: its stdout without one trailing newline (LF or CRLF; a value that ends in
 * newlines of its own keeps them). Any other end of the command throws SecretSourceError with the exit code,
 * signal or timeout and the tail of its stderr, redacted of every known value and of what it printed on stdout.
 */
export function deriveSecretCommandValue(run: CommandRun, context: SecretCommandContext): string {
  if (run.kind === 'exited' && run.code === 0) {
    const value = run.stdout.replace(/\r?\n$/, '');
    if (value === '') {
      throw failure(context, 'its command printed nothing on stdout', run.stderr, [], 'empty');
    }
    const problem = checkEnvValue(value);
    if (problem !== undefined)
      throw failure(context, `its command printed a value that cannot be used: ${problem}`, '', [], 'value');
    return value;
  }
  switch (run.kind) {
    case 'exited':
      return throwing(failure(context, `its command exited with code ${run.code}`, run.stderr, [run.stdout]));
    case 'killed':
      return throwing(failure(context, `its command was killed by ${run.signal}`, run.stderr, [run.stdout]));
    case 'timed-out':
      return throwing(
        failure(
          context,
          `its command did not finish within ${formatDurationMs(context.timeoutMs)} and was killed`,
          run.stderr,
          [run.stdout],
          'timeout',
        ),
      );
    case 'too-large':
      return throwing(
        failure(
          context,
          `its command printed more than ${ENV_LIMITS.valueBytes / 1024} KiB on stdout and was killed`,
          run.stderr,
          [],
          'value',
        ),
      );
    case 'not-started':
      return throwing(failure(context, `its command could not be started: ${run.message}`, '', []));
  }
}

/** A command as an error shows it: the string, or the argv with quotes where an argument needs them. */
export function describeSecretCommand(command: string | readonly string[]): string {
  if (typeof command === 'string') return command;
  return command.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
}

type Why = 'failed' | 'empty' | 'value' | 'timeout';

function failure(
  context: SecretCommandContext,
  what: string,
  stderr: string,
  printed: readonly string[],
  why: Why = 'failed',
): SecretSourceError {
  const hidden = [...context.knownValues, ...printed.flatMap((p) => [p, p.replace(/\r?\n$/, '')])];
  const tail = tailOf(redact(stderr, hidden));
  const command = describeSecretCommand(context.command);
  const message = `${what}: ${command}${tail ? `\n${tail}` : ''}`;
  return new SecretSourceError(context.secret, context.environment, message, { hint: hintFor(context, why) });
}

function hintFor(context: SecretCommandContext, why: Why): string {
  const where = `environments.${context.environment}.secretSources.${context.secret}`;
  const override = `or set SLIPWAY_SECRET_${context.secret} in the environment of slipway to give the value another way`;
  switch (why) {
    case 'timeout':
      return `a password manager may be waiting for an unlock: unlock it (or raise ${where}.timeout), ${override}`;
    case 'empty':
      return `the command found no value: run it yourself to check the item and field it reads, ${override}`;
    case 'value':
      return `a secret's value is at most ${ENV_LIMITS.valueBytes / 1024} KiB of text without NUL bytes: check ${where}.command`;
    case 'failed':
      return `run the command yourself to see why (is the manager signed in or unlocked?), ${override}`;
  }
}

function tailOf(stderr: string): string {
  return stderr
    .split(/\r\n|\r|\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0)
    .slice(-STDERR_LINES)
    .map((line) => `  ${line.length > STDERR_LINE_CHARS ? `${line.slice(0, STDERR_LINE_CHARS)}…` : line}`)
    .join('\n');
}

function throwing(error: SecretSourceError): never {
  throw error;
}
