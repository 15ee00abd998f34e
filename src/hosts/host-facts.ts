/**
 * Pure parsers for what remote commands print (`sha256sum`, `uname -sm`, `df -Pk`, `/proc/meminfo`, `ss -ltnp`,
 * `/proc/net/tcp`, `date +%s%3N`, `systemctl is-system-running`). Each returns null when it cannot tell.
 */

/** `sha256sum a b` → path → hash (missing files are simply absent). */
export function parseSha256sum(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (match?.[1] && match[2]) sums.set(match[2], match[1]);
  }
  return sums;
}

export interface Uname {
  os: string;
  machine: string;
}

/** `uname -sm` → `{ os: 'Linux', machine: 'x86_64' }`. */
export function parseUname(text: string): Uname | null {
  const [os, machine] = text.trim().split(/\s+/);
  return os && machine ? { os, machine } : null;
}

/** `uname -m` names for a Node `process.arch` (we upload our own node binary, so they must agree). */
export function unameMachinesFor(nodeArch: string): string[] {
  const names: Record<string, string[]> = {
    x64: ['x86_64', 'amd64'],
    arm64: ['aarch64', 'arm64', 'aarch64_be'],
    arm: ['armv7l', 'armv6l', 'armv8l'],
    ia32: ['i386', 'i486', 'i586', 'i686'],
    ppc64: ['ppc64le', 'ppc64'],
    s390x: ['s390x'],
    riscv64: ['riscv64'],
    loong64: ['loongarch64'],
  };
  return names[nodeArch] ?? [nodeArch];
}

/** The first data row of `df -Pk` (the first path that exists): available bytes and the mount point. */
export function parseDfAvailable(text: string): { availableBytes: number; mountedOn: string } | null {
  for (const line of text.split('\n').slice(1)) {
    const match = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+|-)%\s+(.+)$/.exec(line.trim());
    if (match?.[4] && match[6]) return { availableBytes: Number(match[4]) * 1024, mountedOn: match[6] };
  }
  return null;
}

/** `MemAvailable` from /proc/meminfo in bytes (MemFree + Buffers + Cached on kernels before 3.14). */
export function parseMemAvailable(text: string): number | null {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+)\s*kB/.exec(line);
    if (match?.[1] && match[2]) fields.set(match[1], Number(match[2]) * 1024);
  }
  const available = fields.get('MemAvailable');
  if (available !== undefined) return available;
  const free = fields.get('MemFree');
  if (free === undefined) return null;
  return free + (fields.get('Buffers') ?? 0) + (fields.get('Cached') ?? 0);
}

export interface Listener {
  address: string;
  port: number;
  /** Processes holding the socket (ss -p shows them to root, or for the user's own sockets). */
  processes: Array<{ name: string; pid: number }>;
}

/** `ss -ltnp` (with or without its header). */
export function parseSsListeners(text: string): Listener[] {
  const listeners: Listener[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== 'LISTEN' || !fields[3]) continue;
    const local = fields[3];
    const colon = local.lastIndexOf(':');
    const port = Number(local.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port)) continue;
    const processes = [...line.matchAll(/\("([^"]*)",pid=(\d+)/g)].map((m) => ({
      name: m[1] ?? '',
      pid: Number(m[2]),
    }));
    listeners.push({ address: local.slice(0, colon), port, processes });
  }
  return listeners;
}

/** `/proc/net/tcp` and `/proc/net/tcp6`: sockets in state 0A (LISTEN). No process information. */
export function parseProcNetTcpListeners(text: string): Listener[] {
  const listeners: Listener[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[3] !== '0A' || !fields[1]) continue;
    const [addressHex, portHex] = fields[1].split(':');
    if (!addressHex || !portHex) continue;
    listeners.push({ address: addressHex, port: parseInt(portHex, 16), processes: [] });
  }
  return listeners;
}

/** `date +%s%3N` → epoch milliseconds; null when `%N` is not supported (busybox prints it literally). */
export function parseEpochMs(text: string): number | null {
  const trimmed = text.trim();
  return /^\d{13}$/.test(trimmed) ? Number(trimmed) : null;
}

/** `date +%s` → epoch milliseconds (to the second). */
export function parseEpochSeconds(text: string): number | null {
  const trimmed = text.trim();
  return /^\d{9,11}$/.test(trimmed) ? Number(trimmed) * 1000 : null;
}

/** Use systemd when it runs (running, or degraded: some unrelated unit failed) and we are root. */
export function chooseServiceManager(uidOutput: string, systemStateOutput: string): 'systemd' | 'detached' {
  const state = systemStateOutput.trim();
  const root = uidOutput.trim() === '0';
  return root && (state === 'running' || state === 'degraded') ? 'systemd' : 'detached';
}

/** Every directory from `path` up to `/`, so `df` has one that exists before setup creates agentHome. */
export function pathAndAncestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const paths: string[] = [];
  for (let i = parts.length; i > 0; i--) paths.push(`/${parts.slice(0, i).join('/')}`);
  paths.push('/');
  return path.startsWith('/') ? paths : [path];
}
