import { readdir, readFile, rm } from 'node:fs/promises';
import { runChecked, runCommand, sleep } from './command.js';
import { listSubnetGuards, removeSubnetGuard } from './network.js';
import { STATE_ROOT, deriveSlotNames, linkBelongsToSlot, parseSlot } from './names.js';
import { tryLockSlot } from './slot-lock.js';
import { listTestbedAccounts, removeSlotUsers } from './users.js';

// Removal by name, so the same code serves destroy() and the cleanup of a crashed run's leftovers.
// The caller must hold the slot's lock.

const KILL_ROUNDS = 100;
// A crashed testbed's lock is freed when its holder process exits, which can trail the crash a little.
const STALE_LOCK_WAIT_SECONDS = 2;

export async function listNetns(): Promise<string[]> {
  const { stdout } = await runChecked(['ip', '-j', 'netns', 'list']);
  if (stdout.trim() === '') return [];
  return (JSON.parse(stdout) as { name: string }[]).map((ns) => ns.name);
}

export async function listLinks(): Promise<string[]> {
  const { stdout } = await runChecked(['ip', '-j', 'link', 'show']);
  if (stdout.trim() === '') return [];
  return (JSON.parse(stdout) as { ifname: string }[]).map((link) => link.ifname);
}

export async function listNetnsPids(netns: string): Promise<number[]> {
  const { code, stdout } = await runCommand(['ip', 'netns', 'pids', netns]);
  if (code !== 0) return [];
  return stdout
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** SIGKILLs every process in the netns until none is left (sshd may fork sessions meanwhile). */
async function killNetnsProcesses(netns: string): Promise<void> {
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const pids = await listNetnsPids(netns);
    if (pids.length === 0) return;
    for (const pid of pids) killQuietly(pid);
    await sleep(20);
  }
  throw new Error(`testbed: processes keep running in netns ${netns}`);
}

export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Mount points under dir in our mount namespace, deepest first (unescaped from mountinfo). */
async function mountsUnder(dir: string): Promise<string[]> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map((point) =>
      point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
    )
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Removes everything a testbed in this slot may have created. Safe to call when nothing exists. */
export async function teardownSlot(slot: number, knownPids: readonly number[] = []): Promise<void> {
  const names = deriveSlotNames(slot);
  for (const pid of knownPids) killQuietly(pid);
  const netnses = (await listNetns()).filter((ns) => ns.startsWith(names.netnsPrefix));
  for (const ns of netnses) await killNetnsProcesses(ns);
  await removeSlotUsers(slot);
  for (const ns of netnses) await runCommand(['ip', 'netns', 'delete', ns]);
  // Deleting a netns normally takes its veth pair along; a pinned netns would not, so delete explicitly.
  const links = (await listLinks()).filter((link) => linkBelongsToSlot(link, slot));
  for (const link of links.filter((l) => l !== names.bridge))
    await runCommand(['ip', 'link', 'delete', link]);
  if (links.includes(names.bridge)) await runCommand(['ip', 'link', 'delete', names.bridge]);
  for (const point of await mountsUnder(names.stateDir)) await runCommand(['umount', '-l', point]);
  await rm(names.stateDir, { recursive: true, force: true });
  await removeSubnetGuard(names);
  const left = (await listNetns()).filter((ns) => ns.startsWith(names.netnsPrefix));
  const leftLinks = (await listLinks()).filter((link) => linkBelongsToSlot(link, slot));
  const leftRoute = (await listSubnetGuards()).includes(slot) ? ['guard route'] : [];
  const leftUsers = (await listTestbedAccounts())
    .filter((a) => a.slot === slot)
    .map((a) => `user ${a.login}`);
  const leftovers = [...left, ...leftLinks, ...leftRoute, ...leftUsers];
  if (leftovers.length > 0)
    throw new Error(`testbed: slot ${slot} not fully removed: ${leftovers.join(', ')}`);
}

/** Slots that have a netns, link, guard route, state directory or account on this machine. */
export async function findOccupiedSlots(): Promise<Set<number>> {
  const dirs = await readdir(STATE_ROOT).catch(() => [] as string[]);
  const slots = [
    ...(await listNetns()).map((name) => parseSlot('netns', name)),
    ...(await listLinks()).map((name) => parseSlot('link', name)),
    ...dirs.map((name) => parseSlot('dir', name)),
    ...(await listSubnetGuards()),
    ...(await listTestbedAccounts()).map((account) => account.slot),
  ];
  return new Set(slots.filter((slot): slot is number => slot !== undefined));
}

/** Removes leftovers of testbeds whose owner is gone (their slot lock is free); returns those slots. */
export async function sweepStaleTestbeds(): Promise<number[]> {
  const swept: number[] = [];
  for (const slot of await findOccupiedSlots()) {
    const lock = await tryLockSlot(slot, STALE_LOCK_WAIT_SECONDS);
    if (!lock) continue; // a live testbed of another process
    try {
      await teardownSlot(slot);
      swept.push(slot);
    } finally {
      await lock.release();
    }
  }
  return swept;
}
