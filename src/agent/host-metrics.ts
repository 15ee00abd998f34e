import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** Cumulative CPU time counters from /proc/stat (in clock ticks); busy share is a difference of two readings. */
export interface CpuTimes {
  idle: number;
  total: number;
}

/** One reading of a host's resources. Percentages are 0–100; null where the kernel gave nothing usable. */
export interface HostReading {
  cpuPercent: number | null;
  memoryPercent: number | null;
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  load1: number | null;
  load5: number | null;
  load15: number | null;
  diskPercent: number | null;
  diskFreeBytes: number | null;
  /** Cumulative bytes over every interface but loopback (a rate is a difference of two readings). */
  netRxBytes: number | null;
  netTxBytes: number | null;
}

/** The aggregate `cpu` line of /proc/stat; iowait counts as idle (the CPU could run something else). */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n))) return null;
  // user nice system idle iowait irq softirq steal (guest time is already inside user/nice)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  return { idle: idle + iowait, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** Busy share between two readings; null when no time passed (or the counters went backwards). */
export function deriveCpuPercent(previous: CpuTimes | null, current: CpuTimes | null): number | null {
  if (!previous || !current) return null;
  const total = current.total - previous.total;
  const idle = current.idle - previous.idle;
  if (total <= 0 || idle < 0) return null;
  return round2((100 * (total - idle)) / total);
}

/** MemTotal and MemAvailable (kB in the file) as bytes. */
export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } | null {
  const value = (key: string): number | undefined => {
    const match = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const totalBytes = value('MemTotal');
  const availableBytes = value('MemAvailable') ?? value('MemFree');
  if (totalBytes === undefined || availableBytes === undefined || totalBytes === 0) return null;
  return { totalBytes, availableBytes };
}

export function parseLoadavg(text: string): [number, number, number] | null {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (a === undefined || b === undefined || c === undefined) return null;
  if (![a, b, c].every(Number.isFinite)) return null;
  return [a, b, c];
}

/** Received and transmitted bytes summed over all interfaces except `lo`. */
export function parseNetDev(text: string): { rxBytes: number; txBytes: number } | null {
  let rxBytes = 0;
  let txBytes = 0;
  let seen = false;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo') continue;
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    const rx = fields[0];
    const tx = fields[8];
    if (rx === undefined || tx === undefined || !Number.isFinite(rx) || !Number.isFinite(tx)) continue;
    rxBytes += rx;
    txBytes += tx;
    seen = true;
  }
  return seen ? { rxBytes, txBytes } : { rxBytes: 0, txBytes: 0 };
}

/** Resident memory (VmRSS) of one process from /proc/<pid>/status, in bytes. */
export function parseVmRssBytes(statusText: string): number | null {
  const match = /^VmRSS:\s+(\d+)\s*kB/m.exec(statusText);
  return match ? Number(match[1]) * 1024 : null;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * Reads the host's resources. `diskPath` is the filesystem that matters (the agent's home: artifacts, releases
 * and logs live there). The CPU share needs the previous reading, which the caller keeps.
 */
export function readHostReading(
  diskPath: string,
  previousCpu: CpuTimes | null,
): { reading: HostReading; cpu: CpuTimes | null } {
  const statText = readText('/proc/stat');
  const cpu = statText === null ? null : parseProcStat(statText);
  const memText = readText('/proc/meminfo');
  const mem = memText === null ? null : parseMeminfo(memText);
  const loadText = readText('/proc/loadavg');
  const load = loadText === null ? null : parseLoadavg(loadText);
  const netText = readText('/proc/net/dev');
  const net = netText === null ? null : parseNetDev(netText);
  let disk: { percent: number; freeBytes: number } | null = null;
  try {
    const fs = statfsSync(diskPath);
    const total = fs.blocks * fs.bsize;
    // Used against what an unprivileged user can get (as df does): root's reserved blocks are not free to us.
    const used = (fs.blocks - fs.bfree) * fs.bsize;
    const usable = used + fs.bavail * fs.bsize;
    if (total > 0 && usable > 0)
      disk = { percent: round2((100 * used) / usable), freeBytes: fs.bavail * fs.bsize };
  } catch {
    disk = null;
  }
  return {
    cpu,
    reading: {
      cpuPercent: deriveCpuPercent(previousCpu, cpu),
      memoryPercent: mem ? round2((100 * (mem.totalBytes - mem.availableBytes)) / mem.totalBytes) : null,
      memoryUsedBytes: mem ? mem.totalBytes - mem.availableBytes : null,
      memoryTotalBytes: mem?.totalBytes ?? null,
      load1: load?.[0] ?? null,
      load5: load?.[1] ?? null,
      load15: load?.[2] ?? null,
      diskPercent: disk?.percent ?? null,
      diskFreeBytes: disk?.freeBytes ?? null,
      netRxBytes: net?.rxBytes ?? null,
      netTxBytes: net?.txBytes ?? null,
    },
  };
}

/**
 * Resident memory of a target: the sum over its process tree (a target runs as `sh -c`, so the app is the
 * shell's child). Walks `/proc/<pid>/task/<pid>/children` from the group leader, which costs a few reads per
 * target instead of a scan of every process; falls back to the scan where the kernel lacks that file.
 */
export async function readGroupRssBytes(pgid: number): Promise<number | null> {
  const tree = await readProcessTree(pgid);
  const pids = tree ?? (await scanProcessGroup(pgid));
  let total = 0;
  let found = false;
  for (const pid of pids) {
    try {
      const rss = parseVmRssBytes(await readFile(`/proc/${pid}/status`, 'utf8'));
      if (rss !== null) {
        total += rss;
        found = true;
      }
    } catch {
      // gone meanwhile
    }
  }
  return found ? total : null;
}

/** The pids of a process and its descendants; null when the kernel has no children files. */
async function readProcessTree(root: number): Promise<number[] | null> {
  const pids: number[] = [];
  const queue = [root];
  while (queue.length > 0 && pids.length < 1_000) {
    const pid = queue.shift() as number;
    pids.push(pid);
    let children: string;
    try {
      children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && pid === root && !existsSync(`/proc/${pid}`))
        return [];
      if (pid === root) return null;
      continue;
    }
    for (const child of children.trim().split(/\s+/)) if (child) queue.push(Number(child));
  }
  return pids;
}

async function scanProcessGroup(pgid: number): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid) pids.push(Number(entry)); // field 5: process group
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
