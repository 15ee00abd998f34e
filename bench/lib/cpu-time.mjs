// CPU time a process has used (user + system, all threads), from /proc/<pid>/stat. On a shared, noisy machine
// CPU time per request is a steadier measure of a proxy's cost than requests per second.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond = null;

function clockTicks() {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** { userMs, systemMs } used so far by `pid`, or null where /proc is not available. */
export function readCpuTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = clockTicks();
    return { userMs: (Number(fields[11]) * 1000) / ticks, systemMs: (Number(fields[12]) * 1000) / ticks };
  } catch {
    return null;
  }
}

/** CPU microseconds per request between two readings. */
export function cpuUsPerRequest(before, after, requests) {
  if (!before || !after || requests <= 0) return null;
  const us = (ms) => Math.round((ms * 1000 * 10) / requests) / 10;
  return {
    user: us(after.userMs - before.userMs),
    system: us(after.systemMs - before.systemMs),
    total: us(after.userMs - before.userMs + after.systemMs - before.systemMs),
  };
}
