import { spawn } from 'node:child_process';

/** How a command ended, with what it printed (stdout only when kept). */
export type CommandRun =
  | { kind: 'exited'; code: number; stdout: string; stderr: string }
  | { kind: 'killed'; signal: string; stdout: string; stderr: string }
  | { kind: 'timed-out'; stdout: string; stderr: string }
  /** stdout grew past `maxStdoutBytes`: the command was killed, its stdout is not kept. */
  | { kind: 'too-large'; stderr: string }
  | { kind: 'not-started'; message: string };

export interface CommandOptions {
  /** A string runs through `sh -c`; an array is an argv, run without a shell. */
  command: string | readonly string[];
  timeoutMs: number;
  cwd?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** stdout past this kills the command (`too-large`); default: no limit. */
  maxStdoutBytes?: number;
  /** Both streams as they come (e.g. a check's output tail); with it, stdout is not kept in the result. */
  onOutput?: (chunk: string) => void;
}

/** The end of stderr kept: where a failing command says why. */
const STDERR_TAIL_CHARS = 4096;
/** After the command exits, how long a child it left may hold stdout open before it is cut. */
const DRAIN_GRACE_MS = 1000;

/**
 * Runs a command once, with no stdin, in its own process group: a timeout kills what it started too, and so does
 * its exit (a helper left behind must not outlive it, nor hold its pipes open past a short grace). Never throws.
 * Used by secret sources (`src/config/secret-command-value.ts`) and command checks
 * (`src/analysis/providers/command-check.ts`).
 */
export function runCommand(options: CommandOptions): Promise<CommandRun> {
  const maxStdoutBytes = options.maxStdoutBytes ?? Infinity;
  const onOutput = options.onOutput;
  const [file, ...args] =
    typeof options.command === 'string' ? ['sh', '-c', options.command] : [...options.command];
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let ending: 'timed-out' | 'too-large' | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let settled = false;
    let drainTimer: NodeJS.Timeout | undefined;

    const child = spawn(file ?? 'sh', args, {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const finish = (run: CommandRun): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(run);
    };
    const timer = setTimeout(() => {
      ending ??= 'timed-out';
      killGroup(child.pid);
    }, options.timeoutMs);

    child.stdout?.on('data', (chunk: Buffer) => {
      if (onOutput) return onOutput(chunk.toString('utf8'));
      if (ending === 'too-large') return;
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdoutBytes) {
        ending ??= 'too-large';
        stdout.length = 0;
        killGroup(child.pid);
        return;
      }
      stdout.push(chunk);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
      onOutput?.(chunk);
    });
    const finishFromExit = (): void => {
      const out = Buffer.concat(stdout).toString('utf8');
      if (ending === 'too-large') finish({ kind: 'too-large', stderr });
      else if (ending === 'timed-out') finish({ kind: 'timed-out', stdout: out, stderr });
      else if (exit?.code !== null && exit?.code !== undefined)
        finish({ kind: 'exited', code: exit.code, stdout: out, stderr });
      else finish({ kind: 'killed', signal: exit?.signal ?? 'a signal', stdout: out, stderr });
    };
    child.once('error', (error) => finish({ kind: 'not-started', message: error.message }));
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      killGroup(child.pid);
      drainTimer = setTimeout(finishFromExit, DRAIN_GRACE_MS);
    });
    child.once('close', finishFromExit);
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
}
