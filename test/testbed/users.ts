import { chmod, chown, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestbedCommandError, findBinary, runCommand, sleep, type CommandResult } from './command.js';
import { deriveUserLogin, parseSlot, type SlotNames } from './names.js';
import { HOST_DATA_MOUNT } from './sshd.js';

// Unprivileged accounts that log in to the testbed's hosts with its client key, as a deploy user without root
// would. The hosts share the machine's /etc, so an account is the machine's: named `swb<slot>-<name>` and marked in
// its comment field, so that destroy() and the sweep of a crashed run find it again and touch no other account.
// Its home and its agent directory live under each host's /var/lib/slipway: every host has its own, gone with it.

/** The comment field of every testbed account starts with this (followed by the slot's prefix). */
export const USER_MARK = 'slipway testbed';
export const USER_BINARIES = ['useradd', 'userdel', 'groupdel'];
const USERS_DIR = 'users';
const SHELL = '/bin/sh';
/** useradd and userdel refuse while another one holds /etc/passwd's lock (parallel testbeds): try again. */
const LOCK_RETRIES = 100;
const LOCK_RETRY_MS = 50;
const KILL_ROUNDS = 50;

export interface TestUser {
  /** The name asked for (`deploy`). */
  name: string;
  /** Its account on this machine, `swb<slot>-<name>`: the `user` to log in as, on every host of the testbed. */
  login: string;
  uid: number;
  gid: number;
  /** Its home, inside each host's view (each host has its own directory there). */
  home: string;
  /** A directory it owns inside each host's view, for the agent (`agentHome` of a host in slipway.yml). */
  agentHome: string;
}

interface Account {
  login: string;
  uid: number;
  gid: number;
  slot: number;
}

export function deriveUserHome(login: string): { home: string; agentHome: string } {
  const home = `${HOST_DATA_MOUNT}/${USERS_DIR}/${login}`;
  return { home, agentHome: `${home}/slipway` };
}

/** Creates the account (locked for passwords, open for keys: sshd without PAM refuses a `!` password field). */
export async function createTestUser(slot: SlotNames, name: string): Promise<TestUser> {
  const login = deriveUserLogin(slot, name);
  const { home, agentHome } = deriveUserHome(login);
  await runShadowTool([
    'useradd',
    '--system',
    '--user-group',
    '--no-create-home',
    '--home-dir',
    home,
    '--shell',
    SHELL,
    '--comment',
    `${USER_MARK} ${slot.bridge}`,
    '--password',
    '*',
    login,
  ]);
  const account = (await listTestbedAccounts()).find((a) => a.login === login);
  if (!account) throw new Error(`testbed: useradd ${login} succeeded but /etc/passwd does not list it`);
  return { name, login, uid: account.uid, gid: account.gid, home, agentHome };
}

/** Makes the user's home and agent directory in a host's data directory (the host's /var/lib/slipway). */
export async function prepareUserDirs(dataDir: string, user: TestUser): Promise<void> {
  const onMachine = (path: string): string => join(dataDir, path.slice(HOST_DATA_MOUNT.length + 1));
  await mkdir(join(dataDir, USERS_DIR), { recursive: true });
  await chmod(join(dataDir, USERS_DIR), 0o755);
  for (const [dir, mode] of [
    [user.home, 0o750],
    [user.agentHome, 0o700],
  ] as const) {
    await mkdir(onMachine(dir));
    await chown(onMachine(dir), user.uid, user.gid);
    await chmod(onMachine(dir), mode);
  }
}

/** Testbed accounts on this machine (marked, and named like one), with the slot each belongs to. */
export async function listTestbedAccounts(): Promise<Account[]> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  return passwd.split('\n').flatMap((line) => {
    const [login = '', , uid = '', gid = '', comment = ''] = line.split(':');
    const slot = parseSlot('user', login);
    if (slot === undefined || !comment.startsWith(USER_MARK)) return [];
    return [{ login, uid: Number(uid), gid: Number(gid), slot }];
  });
}

/** Removes the slot's accounts (and their groups), first killing whatever still runs as them. */
export async function removeSlotUsers(slot: number): Promise<void> {
  for (const account of (await listTestbedAccounts()).filter((a) => a.slot === slot)) {
    await killProcessesOf(account.uid);
    await runShadowTool(['userdel', account.login]);
    if (await groupExists(account.login)) await runShadowTool(['groupdel', account.login]);
  }
}

export function userToolsMissing(): string[] {
  return USER_BINARIES.filter((name) => findBinary(name) === undefined);
}

async function groupExists(name: string): Promise<boolean> {
  const group = await readFile('/etc/group', 'utf8');
  return group.split('\n').some((line) => line.split(':')[0] === name);
}

/**
 * SIGKILLs every process whose real uid is `uid` (the account is the testbed's own: all of them are ours). Zombies
 * do not count: they are dead already, and their reaper is not ours (orphans go to the machine's init, which may
 * reap only every second or so); userdel does not mind them.
 */
async function killProcessesOf(uid: number): Promise<void> {
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const pids = await processesOf(uid);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(20);
  }
  throw new Error(`testbed: processes of uid ${uid} keep running`);
}

/** Live (not zombie) processes whose real uid is `uid`. */
async function processesOf(uid: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const owned = await Promise.all(
    pids.map(async (pid) => {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      const zombie = /^State:\s+Z/m.test(status);
      return !zombie && /^Uid:\s+(\d+)/m.exec(status)?.[1] === String(uid) ? [Number(pid)] : [];
    }),
  );
  return owned.flat();
}

async function runShadowTool(argv: string[]): Promise<CommandResult> {
  for (let attempt = 1; ; attempt++) {
    const result = await runCommand(argv);
    if (result.code === 0) return result;
    if (attempt >= LOCK_RETRIES || !/cannot lock|try again/i.test(result.stderr)) {
      throw new TestbedCommandError(argv, result);
    }
    await sleep(LOCK_RETRY_MS);
  }
}
