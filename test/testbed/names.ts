import { join } from 'node:path';

// Every kernel object and directory of a testbed carries the prefix `swb<slot>`, so a crashed run's
// leftovers can be found again by name. A slot owns the subnet 10.231.<slot>.0/24.

export const SLOT_COUNT = 256;
export const NAME_PREFIX = 'swb';
/** Not under /tmp: each host gets a private /tmp, which would hide its own sshd config and keys. */
export const STATE_ROOT = '/var/tmp/slipway-testbed';
export const LOCK_DIR = '/tmp/slipway-testbed-locks';
export const MAX_HOSTS = 100;
const SUBNET = '10.231';
export const TESTBED_NETWORK = `${SUBNET}.0.0/16`;
/** Each live testbed keeps its own blackhole route for TESTBED_NETWORK, told apart by this metric. */
export const GUARD_METRIC_BASE = 4000;
const LINUX_IFNAMSIZ = 15;

export interface SlotNames {
  slot: number;
  guardMetric: number;
  bridge: string;
  gateway: string;
  stateDir: string;
  lockPath: string;
  /** Every netns of the slot starts with this. */
  netnsPrefix: string;
}

export interface HostNames {
  index: number;
  name: string;
  address: string;
  netns: string;
  /** The veth end that stays in the root namespace, on the bridge. */
  rootVeth: string;
  /** The other end, created inside the netns and renamed to eth0 there. */
  peerVeth: string;
  dir: string;
}

export function deriveSlotNames(slot: number): SlotNames {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new Error(`testbed: bad slot ${slot}`);
  const prefix = `${NAME_PREFIX}${slot}`;
  return {
    slot,
    guardMetric: GUARD_METRIC_BASE + slot,
    bridge: prefix,
    gateway: `${SUBNET}.${slot}.1`,
    stateDir: join(STATE_ROOT, prefix),
    lockPath: join(LOCK_DIR, `${prefix}.lock`),
    netnsPrefix: `${prefix}-`,
  };
}

export function deriveHostNames(slot: SlotNames, index: number, label: string): HostNames {
  const prefix = `${NAME_PREFIX}${slot.slot}`;
  const names: HostNames = {
    index,
    name: `h${index}`,
    address: `${SUBNET}.${slot.slot}.${10 + index}`,
    netns: `${slot.netnsPrefix}${label}-h${index}`,
    rootVeth: `${prefix}h${index}`,
    peerVeth: `${prefix}p${index}`,
    dir: join(slot.stateDir, `h${index}`),
  };
  for (const ifname of [names.rootVeth, names.peerVeth]) {
    if (ifname.length > LINUX_IFNAMSIZ) throw new Error(`testbed: interface name too long: ${ifname}`);
  }
  return names;
}

/** A netns name chunk from the caller's testbed name: [a-z0-9], at most 16 characters. */
export function sanitizeLabel(name: string | undefined): string {
  const label = (name ?? 'tb')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '')
    .slice(0, 16);
  return label === '' ? 'tb' : label;
}

/** A user name the caller may ask for (it becomes part of a machine account's name). */
export const USER_NAME_PATTERN = /^[a-z][a-z0-9]{0,15}$/;

/**
 * The machine account of the testbed user `name`: the slot in front, so parallel testbeds never share one and a
 * crashed run's accounts can be found again.
 */
export function deriveUserLogin(slot: SlotNames, name: string): string {
  if (!USER_NAME_PATTERN.test(name)) {
    throw new Error(`testbed: user names are [a-z][a-z0-9]{0,15}, got ${JSON.stringify(name)}`);
  }
  return `${slot.bridge}-${name}`;
}

/** The slot a netns, link, state directory or account name belongs to, if it is one of ours. */
export function parseSlot(kind: 'netns' | 'link' | 'dir' | 'user', name: string): number | undefined {
  const pattern = {
    netns: /^swb(\d{1,3})-/,
    link: /^swb(\d{1,3})(?:[hp]\d+)?$/,
    dir: /^swb(\d{1,3})$/,
    user: /^swb(\d{1,3})-[a-z][a-z0-9]{0,15}$/,
  }[kind];
  const digits = pattern.exec(name)?.[1];
  if (digits === undefined) return undefined;
  const slot = Number(digits);
  return slot < SLOT_COUNT && String(slot) === digits ? slot : undefined;
}

export function linkBelongsToSlot(name: string, slot: number): boolean {
  return parseSlot('link', name) === slot;
}
