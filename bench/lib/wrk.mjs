// Load generation with wrk (Debian package), and parsing of its report.
import { execFileSync } from 'node:child_process';
import { ensureDebianTool } from './debian-tool.mjs';
import { sleep } from './processes.mjs';

/** wrk's version line; installs Debian's wrk package first when it is missing and we are root. */
export function requireWrk() {
  return ensureDebianTool({ tool: 'wrk', pkg: 'wrk', probe: wrkVersion });
}

function wrkVersion() {
  try {
    return execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split(
      '\n',
    )[0];
  } catch (err) {
    // `wrk -v` prints its version and exits 1.
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`;
    return out.includes('wrk') ? out.split('\n')[0].trim() : null;
  }
}

/**
 * Runs wrk against `url` (sending `headers`, e.g. the Host a front door routes by). With `durationS`, wrk stops by itself; with `until` (a promise), wrk runs (at most
 * `maxDurationS`) until the promise settles and is then interrupted with SIGINT, which makes it print its report.
 */
export async function runWrk(
  group,
  { url, durationS, connections, threads = 1, until, maxDurationS = 120, headers = {} },
) {
  const seconds = until ? maxDurationS : durationS;
  const proc = group.start('wrk', 'wrk', [
    `-t${threads}`,
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    url,
  ]);
  let out = '';
  proc.child.stdout.on('data', (chunk) => {
    out += chunk.toString();
  });
  if (until) {
    await Promise.race([until.finally(() => sleep(0)), proc.exited]);
    try {
      process.kill(proc.pid, 'SIGINT');
    } catch {
      // already finished
    }
  }
  const code = await proc.exited;
  await sleep(10); // let the last stdout chunk arrive
  const report = parseWrk(out);
  if (report === null) throw new Error(`wrk failed (exit ${code}): ${proc.stderrTail() || out}`);
  return report;
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]] : null;
}

/** Parses wrk's text report (with --latency) into numbers; null when it is not a report. */
export function parseWrk(text) {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(text);
  if (!rps || !total) return null;
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(text);
    return m ? toMs(m[1]) : null;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1, 5).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requestsPerSec: Number(rps[1]),
    requests: Number(total[1]),
    durationS: (Number(total[2]) * UNIT_MS[total[3]]) / 1000,
    latencyMs: { p50: pct(50), p75: pct(75), p90: pct(90), p99: pct(99) },
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors,
    socketErrorDetail: socket
      ? {
          connect: Number(socket[1]),
          read: Number(socket[2]),
          write: Number(socket[3]),
          timeout: Number(socket[4]),
        }
      : { connect: 0, read: 0, write: 0, timeout: 0 },
  };
}
