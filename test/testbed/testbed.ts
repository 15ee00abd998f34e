import { mkdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary, runCommand, runChecked, type CommandResult } from './command.js';
import {
  MAX_HOSTS,
  SLOT_COUNT,
  USER_NAME_PATTERN,
  deriveHostNames,
  deriveSlotNames,
  sanitizeLabel,
  type HostNames,
} from './names.js';
import { addSubnetGuard, createBridge, createHostNetwork, cutHostLink, restoreHostLink } from './network.js';
import { claimFreeSlot } from './slot-lock.js';
import {
  HOST_DATA_MOUNT,
  SSHD_BINARY,
  generateEd25519Key,
  renderSshdConfig,
  startSshd,
  writeKnownHosts,
} from './sshd.js';
import { sweepStaleTestbeds, teardownSlot } from './teardown.js';
import { createTestUser, prepareUserDirs, userToolsMissing, type TestUser } from './users.js';

// A testbed of real SSH hosts on this machine: each host is a network namespace with its own address
// on a private bridge, its own sshd, and its own mount namespace in which /var/lib/slipway, /tmp and /run are
// per-host directories. Besides root, unprivileged accounts can log in on request. See README.md beside this file.

export interface TestHost {
  name: string;
  address: string;
  port: 22;
  user: 'root';
  netns: string;
  /** The host's private directory on this machine that backs its /var/lib/slipway (until useTinyDisk). */
  dataDir: string;
  /** Cut / restore the host's network link (the root-side veth goes down / up). */
  cutLink(): Promise<void>;
  restoreLink(): Promise<void>;
  /** Runs argv inside the host (its netns, mount and UTS namespaces); never rejects on a non-zero exit. */
  exec(argv: string[]): Promise<CommandResult>;
  /**
   * Replaces the host's /var/lib/slipway with a tmpfs of `bytes` (its current files copied in) to
   * simulate a full disk. Later sessions see it; dataDir no longer reflects the host's view afterwards.
   */
  useTinyDisk(bytes: number): Promise<void>;
  /** SHA256:… of its ed25519 host key. */
  hostKeyFingerprint: string;
  /** Its known_hosts line: `<address> ssh-ed25519 AAAA…`. */
  hostKeyLine: string;
}

export interface Testbed {
  hosts: TestHost[];
  /** The unprivileged accounts asked for (`users`), in that order; each logs in on every host. */
  users: TestUser[];
  /** Private key (OpenSSH format, ed25519, no passphrase) that every host accepts for root and every user. */
  clientKeyPath: string;
  /** A known_hosts file listing every host's key. */
  knownHostsPath: string;
  /** Removes everything the testbed created; idempotent. */
  destroy(): Promise<void>;
}

export type { CommandResult, TestUser };

export interface TestbedOptions {
  hosts: number;
  name?: string;
  /**
   * Unprivileged accounts to create (names [a-z][a-z0-9]{0,15}): each logs in on every host with the client key,
   * with a home and an agent directory of its own inside each host's /var/lib/slipway. See `Testbed.users`.
   */
  users?: readonly string[];
}

const REQUIRED_BINARIES = [
  'ip',
  'unshare',
  'nsenter',
  'mount',
  'umount',
  'flock',
  'ssh-keygen',
  'sh',
  'cp',
  'hostname',
];
const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

export function testbedSupported(): { ok: true } | { ok: false; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: `needs Linux, this is ${process.platform}` };
  if (process.getuid?.() !== 0) return { ok: false, why: 'needs root (network and mount namespaces)' };
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  const caps = BigInt(`0x${capEff ?? '0'}`);
  for (const [cap, name] of [
    [CAP_NET_ADMIN, 'CAP_NET_ADMIN'],
    [CAP_SYS_ADMIN, 'CAP_SYS_ADMIN'],
  ] as const) {
    if (((caps >> cap) & 1n) === 0n) return { ok: false, why: `needs ${name}` };
  }
  const missing = REQUIRED_BINARIES.filter((name) => findBinary(name) === undefined);
  if (findBinary(SSHD_BINARY) === undefined) missing.push(SSHD_BINARY);
  if (missing.length > 0) return { ok: false, why: `missing: ${missing.join(', ')}` };
  if (rootAccountLocked()) {
    return {
      ok: false,
      why: "root's password field starts with '!' (locked): sshd with UsePAM no refuses root",
    };
  }
  return { ok: true };
}

function rootAccountLocked(): boolean {
  try {
    const root = readFileSync('/etc/shadow', 'utf8')
      .split('\n')
      .find((line) => line.startsWith('root:'));
    return root?.split(':')[1]?.startsWith('!') ?? false;
  } catch {
    return false;
  }
}

export async function createTestbed(options: TestbedOptions): Promise<Testbed> {
  const support = testbedSupported();
  if (!support.ok) throw new Error(`testbed not supported here: ${support.why}`);
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > MAX_HOSTS) {
    throw new Error(`testbed: hosts must be 1..${MAX_HOSTS}, got ${options.hosts}`);
  }
  const userNames = validateUserNames(options.users ?? []);
  await sweepStaleTestbeds();
  const lock = await claimFreeSlot(process.pid % SLOT_COUNT);
  const slot = deriveSlotNames(lock.slot);
  const sshdPids: number[] = [];
  let destroying: Promise<void> | undefined;
  const destroy = (): Promise<void> => {
    destroying ??= teardownSlot(slot.slot, sshdPids).finally(() => lock.release());
    return destroying;
  };
  try {
    await teardownSlot(slot.slot); // leftovers of a crash in this very slot
    await prepareMachine();
    await mkdir(slot.stateDir, { recursive: true, mode: 0o755 });
    const clientKeyPath = join(slot.stateDir, 'client_ed25519');
    const authorizedKeysPath = join(slot.stateDir, 'authorized_keys');
    const knownHostsPath = join(slot.stateDir, 'known_hosts');
    const clientKey = await generateEd25519Key(clientKeyPath, `slipway-testbed-${slot.bridge}`);
    // Readable by all: sshd reads a user's authorized keys as that user.
    await writeFile(authorizedKeysPath, `${clientKey.line} slipway-testbed\n`, { mode: 0o644 });
    const users: TestUser[] = [];
    for (const name of userNames) users.push(await createTestUser(slot, name));
    await addSubnetGuard(slot);
    await createBridge(slot);
    const label = sanitizeLabel(options.name);
    const names = Array.from({ length: options.hosts }, (_, i) => deriveHostNames(slot, i + 1, label));
    // Network changes one by one (the first `ip netns add` sets up /run/netns); sshds in parallel.
    for (const host of names) await createHostNetwork(slot, host);
    const hosts = await Promise.all(
      names.map(async (host) => {
        const started = await startHost(host, authorizedKeysPath, users);
        sshdPids.push(started.sshdPid);
        return started.host;
      }),
    );
    await writeKnownHosts(
      knownHostsPath,
      hosts.map((h) => h.hostKeyLine),
    );
    return { hosts, users, clientKeyPath, knownHostsPath, destroy };
  } catch (error) {
    await destroy().catch(() => undefined);
    throw error;
  }
}

function validateUserNames(names: readonly string[]): string[] {
  for (const name of names) {
    if (!USER_NAME_PATTERN.test(name)) {
      throw new Error(`testbed: user names are [a-z][a-z0-9]{0,15}, got ${JSON.stringify(name)}`);
    }
  }
  if (new Set(names).size !== names.length)
    throw new Error(`testbed: users repeat a name: ${names.join(', ')}`);
  const missing = names.length > 0 ? userToolsMissing() : [];
  if (missing.length > 0) throw new Error(`testbed: users need ${missing.join(', ')}`);
  return [...names];
}

async function prepareMachine(): Promise<void> {
  // The empty mount point for every host's data.
  await mkdir(HOST_DATA_MOUNT, { recursive: true, mode: 0o755 });
}

async function startHost(
  host: HostNames,
  authorizedKeysPath: string,
  users: readonly TestUser[],
): Promise<{ host: TestHost; sshdPid: number }> {
  const dataDir = join(host.dir, 'data');
  const tmpDir = join(host.dir, 'tmp');
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  for (const user of users) await prepareUserDirs(dataDir, user);
  await mkdir(tmpDir, { recursive: true });
  await runChecked(['chmod', '1777', tmpDir]);
  const runDir = join(host.dir, 'run');
  await mkdir(join(runDir, 'sshd'), { recursive: true, mode: 0o755 });
  const hostKeyPath = join(host.dir, 'ssh_host_ed25519_key');
  const hostKey = await generateEd25519Key(hostKeyPath, `root@${host.name}`);
  const configPath = join(host.dir, 'sshd_config');
  const pidFile = join(host.dir, `sshd-${host.name}.pid`);
  await writeFile(
    configPath,
    renderSshdConfig({
      address: host.address,
      hostKeyPath,
      authorizedKeysPath,
      pidFile,
      allowUsers: ['root', ...users.map((u) => u.login)],
    }),
  );
  const sshdPid = await startSshd({
    netns: host.netns,
    hostname: host.name,
    address: host.address,
    dataDir,
    tmpDir,
    runDir,
    configPath,
    pidFile,
    logPath: join(host.dir, 'sshd.log'),
  });
  const exec = (argv: string[]): Promise<CommandResult> =>
    runCommand(['nsenter', '--target', String(sshdPid), '--mount', '--uts', '--net', '--', ...argv]);
  const testHost: TestHost = {
    name: host.name,
    address: host.address,
    port: 22,
    user: 'root',
    netns: host.netns,
    dataDir,
    cutLink: () => cutHostLink(host),
    restoreLink: () => restoreHostLink(host),
    exec,
    useTinyDisk: (bytes) => useTinyDisk(host, exec, bytes),
    hostKeyFingerprint: hostKey.fingerprint,
    hostKeyLine: `${host.address} ${hostKey.line}`,
  };
  return { host: testHost, sshdPid };
}

/** Builds the tmpfs beside, copies the current files in, then moves it over /var/lib/slipway. */
async function useTinyDisk(
  host: HostNames,
  exec: (argv: string[]) => Promise<CommandResult>,
  bytes: number,
): Promise<void> {
  if (!Number.isInteger(bytes) || bytes < 4096)
    throw new Error(`testbed: tiny disk needs ≥ 4096 bytes, got ${bytes}`);
  const staging = join(host.dir, `tiny-${Date.now()}`);
  await mkdir(staging);
  const step = async (argv: string[]): Promise<void> => {
    const result = await exec(argv);
    if (result.code !== 0) {
      throw new Error(
        `testbed: useTinyDisk on ${host.name}: ${argv.join(' ')} → ${result.code}\n${result.stderr}`,
      );
    }
  };
  await step(['mount', '-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'slipway-tiny', staging]);
  try {
    await step(['cp', '-a', `${HOST_DATA_MOUNT}/.`, staging]);
    await step(['mount', '--move', staging, HOST_DATA_MOUNT]);
  } catch (error) {
    await exec(['umount', '-l', staging]);
    throw error;
  }
}
