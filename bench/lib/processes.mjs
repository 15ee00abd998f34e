// Child processes of a benchmark run: each one is remembered by pid and stopped by pid at the end, also when
// the run fails or is interrupted.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export class ProcessGroup {
  /** @type {Map<number, { name: string, child: import('node:child_process').ChildProcess, exited: Promise<number | null> }>} */
  #children = new Map();

  /**
   * Starts a process. `lines` yields its stdout lines; `exited` resolves with the exit code.
   * @param {string} name
   * @param {string} command
   * @param {string[]} args
   * @param {import('node:child_process').SpawnOptions} [options]
   */
  start(name, command, args, options = {}) {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    const exited = new Promise((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', () => resolve(null));
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const entry = { name, child, exited };
    this.#children.set(child.pid, entry);
    void exited.then(() => this.#children.delete(child.pid));
    return {
      name,
      pid: child.pid,
      child,
      exited,
      stderrTail: () => stderr,
      lines: createInterface({ input: child.stdout }),
    };
  }

  /** Starts a process that prints one JSON line with `ready: true` once it serves; resolves with that line. */
  async startServer(name, command, args, options = {}) {
    const proc = this.start(name, command, args, options);
    let onLine = () => undefined;
    const ready = await Promise.race([
      new Promise((resolve) => {
        onLine = (line) => {
          const parsed = tryParse(line);
          if (parsed?.ready) resolve(parsed);
        };
        proc.lines.on('line', onLine);
      }),
      proc.exited.then(() => null),
      sleep(15_000).then(() => null),
    ]);
    proc.lines.off('line', onLine);
    if (!ready) throw new Error(`${name} did not start: ${proc.stderrTail() || 'no output'}`);
    return { ...proc, port: ready.port };
  }

  /** Stops one process: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  async stop(pid, graceMs = 3_000) {
    const entry = this.#children.get(pid);
    if (!entry) return;
    signalPid(pid, 'SIGTERM');
    const code = await Promise.race([entry.exited, sleep(graceMs).then(() => 'timeout')]);
    if (code === 'timeout') {
      signalPid(pid, 'SIGKILL');
      await entry.exited;
    }
  }

  async stopAll() {
    await Promise.all([...this.#children.keys()].map((pid) => this.stop(pid)));
  }
}

function signalPid(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export function tryParse(line) {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for programs that cannot listen on port 0 and tell). */
export async function freePort() {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}
