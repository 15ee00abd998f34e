import { spawn, type StdioOptions } from 'node:child_process';
import { dirname } from 'node:path';

/** How a command that ran once ended. */
export interface ProcessRunEnd {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
}

/**
 * Runs an argv once in its own process group (`slipway run`, a scheduled job's run), with the agent's node first
 * on PATH and `env` on top of HOME. Past `timeoutMs`, or when `signal` aborts, the whole group is killed; when the
 * command ends, what it left running in the background goes with it. `onChild` sees the child first (to read its
 * pipes).
 */
export function runProcessGroup(options: {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stdio: StdioOptions;
  timeoutMs: number;
  signal?: AbortSignal;
  onChild?: (child: ReturnType<typeof spawn>) => void;
}): Promise<ProcessRunEnd> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const [file = 'sh', ...args] = options.argv;
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: {
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
        HOME: process.env.HOME ?? '/',
        ...options.env,
      },
      detached: true,
      stdio: options.stdio,
    });
    options.onChild?.(child);
    let timedOut = false;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    timer.unref();
    options.signal?.addEventListener('abort', killGroup, { once: true });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', killGroup);
      killGroup();
      resolve({ exitCode: code, signal, timedOut, durationMs: Math.round(performance.now() - started) });
    });
  });
}
