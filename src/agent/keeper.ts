import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { formatDurationMs } from '../core/duration.js';
import { agentPaths } from './agent-paths.js';
import { fileLogger } from './process-util.js';
import { serveControlSocket } from './control-server.js';
import { EventJournal } from './event-journal.js';

/** The keeper exits with this when told to stop (`slipway agent stop`): systemd must not start it again. */
export const KEEPER_STOPPED_EXIT = 75;
/** Set in the environment of the processes the keeper runs: who supervises them (`slipway check` says). */
export const SUPERVISOR_ENV = 'SLIPWAY_SUPERVISOR';

/** A child that lived at least this long is restarted at once when it dies; one dying sooner waits longer. */
const STABLE_AFTER_MS = 10_000;
const MAX_BACKOFF_MS = 5_000;
const FIRST_BACKOFF_MS = 100;
/** How often an adopted child (started by an earlier keeper) is looked at: it cannot be waited for. */
const ADOPTED_POLL_MS = 100;

export interface KeeperMethods {
  status: {
    params: Record<string, never>;
    result: {
      pid: number;
      supervisor: string;
      children: Array<{ name: string; pid: number | null; restarts: number }>;
    };
  };
  /** Stops supervising and exits (the children are stopped by whoever asked). */
  stop: { params: Record<string, never>; result: { ok: true } };
}

type ChildName = 'router' | 'agent';

interface Kept {
  name: ChildName;
  args: string[];
  log: string;
  pidFile: string;
  pid: number | null;
  restarts: number;
  startedAtMs: number;
  backoffMs: number;
}

/**
 * `agent.js keeper --home DIR`: the host's smallest process. It runs the router process and the agent and starts
 * either again the moment it dies (the router first: it is what users reach), journaling each restart for the
 * ledger. One keeper per home (its socket is the lock). Killed itself, it leaves both running; the next keeper
 * (systemd's restart, or the next `slipway` command's bridge) adopts them by their pid files.
 */
export async function runKeeper(home: string, agentEntry: string): Promise<void> {
  const paths = agentPaths(home);
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const log = fileLogger(paths.keeperLog);
  const supervisor = process.env.INVOCATION_ID
    ? 'systemd (slipway-agent.service) and the keeper'
    : 'the keeper';
  const kept: Kept[] = [
    child('router', [agentEntry, 'router', '--home', home], paths.routerLog, paths.routerPid),
    child('agent', [agentEntry, '--home', home], paths.agentLog, paths.pidFile),
  ];
  let stopping = false;
  try {
    await serveControlSocket<KeeperMethods>(
      paths.keeperSocket,
      {
        status: () =>
          Promise.resolve({
            pid: process.pid,
            supervisor,
            children: kept.map(({ name, pid, restarts }) => ({ name, pid, restarts })),
          }),
        stop: () => {
          stopping = true;
          setImmediate(
            () =>
              void rm(paths.keeperSocket, { force: true }).finally(() => process.exit(KEEPER_STOPPED_EXIT)),
          );
          return Promise.resolve({ ok: true as const });
        },
      },
      'keeper',
    );
  } catch (err) {
    log(`not keeping ${home}: ${err instanceof Error ? err.message : String(err)}`);
    return; // another keeper keeps this home
  }
  writeFileSync(paths.keeperPid, `${process.pid}\n`);
  const journal = await EventJournal.open(paths.keeperEvents);
  const env = { ...process.env, [SUPERVISOR_ENV]: supervisor };

  const start = (k: Kept, why: string | null): void => {
    if (stopping) return;
    const out = openSync(k.log, 'a', 0o600);
    let proc: ChildProcess;
    try {
      proc = spawn(process.execPath, k.args, { stdio: ['ignore', out, out], cwd: home, env });
    } finally {
      closeSync(out);
    }
    k.pid = proc.pid ?? null;
    k.startedAtMs = Date.now();
    if (why !== null) {
      k.restarts++;
      journal.append({
        atMs: Date.now(),
        kind: `${k.name}.restarted`,
        app: '',
        targetId: null,
        release: null,
        message: `${k.name === 'router' ? 'router process' : 'agent'} ${why}; restarted by ${supervisor} (pid ${k.pid ?? '?'}, restart ${k.restarts})`,
        data: { process: k.name, restarts: k.restarts, pid: k.pid },
      });
    }
    proc.once('exit', (code, signal) => died(k, code === null ? `signal ${signal ?? '?'}` : `code ${code}`));
  };

  const died = (k: Kept, how: string): void => {
    if (stopping) return;
    const upMs = Date.now() - k.startedAtMs;
    k.backoffMs =
      upMs >= STABLE_AFTER_MS ? 0 : Math.min(MAX_BACKOFF_MS, Math.max(FIRST_BACKOFF_MS, k.backoffMs * 2));
    const why = `exited (${how}) after ${formatDurationMs(upMs)}`;
    log(`${k.name} ${why}; restarting in ${k.backoffMs} ms`);
    setTimeout(() => start(k, why), k.backoffMs);
  };

  const adopt = (k: Kept, pid: number): void => {
    k.pid = pid;
    k.startedAtMs = Date.now();
    const timer = setInterval(() => {
      if (isAlive(pid)) return;
      clearInterval(timer);
      died(k, 'gone');
    }, ADOPTED_POLL_MS);
  };

  for (const k of kept) {
    const running = runningChild(k.pidFile, home);
    if (running !== null) adopt(k, running);
    else start(k, null);
  }
  log(`keeping ${home} (pid ${process.pid}, supervised by ${supervisor})`);
  // Killed or stopped by systemd, the keeper leaves its children running: the next keeper adopts them.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      stopping = true;
      void rm(paths.keeperSocket, { force: true }).finally(() => process.exit(0));
    });
  }
}

function child(name: ChildName, args: string[], log: string, pidFile: string): Kept {
  return { name, args, log, pidFile, pid: null, restarts: 0, startedAtMs: 0, backoffMs: 0 };
}

/** The pid in `pidFile` when that process still runs for this home (a reused pid of another program is not). */
function runningChild(pidFile: string, home: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(home) ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
