import { readFile, writeFile } from 'node:fs/promises';
import { runChecked, waitUntil } from './command.js';
import { GUARD_METRIC_BASE, SLOT_COUNT, TESTBED_NETWORK, type HostNames, type SlotNames } from './names.js';

// Topology: one bridge per testbed in the root namespace (gateway .1), one veth pair per host.
// Isolation: the bridge never forwards (per-interface forwarding=0), so a host reaches only the
// root namespace's bridge address and the other hosts on the bridge; IPv6 stays off on our links.
// While a testbed lives, a blackhole route for all of 10.231.0.0/16 keeps packets for an address
// whose bridge is gone (a destroyed or not yet built testbed) from leaving through the default route.

// Fixed string: disables IPv6 on the host's eth0 when the kernel has IPv6 at all.
const DISABLE_IPV6_IN_NETNS = 'f=/proc/sys/net/ipv6/conf/eth0/disable_ipv6; [ ! -e "$f" ] || echo 1 > "$f"';
const BRPORT_FORWARDING = '3';

async function writeSysctl(path: string, value: string): Promise<void> {
  try {
    await writeFile(path, value);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export async function addSubnetGuard(slot: SlotNames): Promise<void> {
  await runChecked(['ip', 'route', 'add', 'blackhole', TESTBED_NETWORK, 'metric', String(slot.guardMetric)]);
}

export async function removeSubnetGuard(slot: SlotNames): Promise<void> {
  if ((await listSubnetGuards()).includes(slot.slot)) {
    await runChecked([
      'ip',
      'route',
      'delete',
      'blackhole',
      TESTBED_NETWORK,
      'metric',
      String(slot.guardMetric),
    ]);
  }
}

/** The slots that have a guard route in place. */
export async function listSubnetGuards(): Promise<number[]> {
  const { stdout } = await runChecked(['ip', '-j', 'route', 'show', 'exact', TESTBED_NETWORK]);
  if (stdout.trim() === '') return [];
  return (JSON.parse(stdout) as { type?: string; metric?: number }[])
    .filter((route) => route.type === 'blackhole' && route.metric !== undefined)
    .map((route) => (route.metric ?? 0) - GUARD_METRIC_BASE)
    .filter((slot) => slot >= 0 && slot < SLOT_COUNT);
}

export async function createBridge(slot: SlotNames): Promise<void> {
  await runChecked(['ip', 'link', 'add', 'name', slot.bridge, 'type', 'bridge', 'forward_delay', '0']);
  await writeSysctl(`/proc/sys/net/ipv6/conf/${slot.bridge}/disable_ipv6`, '1');
  await writeSysctl(`/proc/sys/net/ipv4/conf/${slot.bridge}/forwarding`, '0');
  await runChecked(['ip', 'addr', 'add', `${slot.gateway}/24`, 'dev', slot.bridge]);
  await runChecked(['ip', 'link', 'set', slot.bridge, 'up']);
}

export async function createHostNetwork(slot: SlotNames, host: HostNames): Promise<void> {
  const inNs = (...args: string[]): Promise<unknown> => runChecked(['ip', '-n', host.netns, ...args]);
  await runChecked(['ip', 'netns', 'add', host.netns]);
  await runChecked([
    'ip',
    'link',
    'add',
    host.rootVeth,
    'type',
    'veth',
    'peer',
    'name',
    host.peerVeth,
    'netns',
    host.netns,
  ]);
  await writeSysctl(`/proc/sys/net/ipv6/conf/${host.rootVeth}/disable_ipv6`, '1');
  await runChecked(['ip', 'link', 'set', host.rootVeth, 'master', slot.bridge, 'up']);
  await inNs('link', 'set', host.peerVeth, 'name', 'eth0');
  await runChecked(['ip', 'netns', 'exec', host.netns, 'sh', '-c', DISABLE_IPV6_IN_NETNS]);
  await inNs('addr', 'add', `${host.address}/24`, 'dev', 'eth0');
  await inNs('link', 'set', 'lo', 'up');
  await inNs('link', 'set', 'eth0', 'up');
  await inNs('route', 'add', 'default', 'via', slot.gateway);
}

export async function cutHostLink(host: HostNames): Promise<void> {
  await runChecked(['ip', 'link', 'set', host.rootVeth, 'down']);
}

/** Brings the link up and waits until the bridge forwards on that port again. */
export async function restoreHostLink(host: HostNames): Promise<void> {
  await runChecked(['ip', 'link', 'set', host.rootVeth, 'up']);
  const sys = `/sys/class/net/${host.rootVeth}`;
  await waitUntil(
    `${host.rootVeth} up and forwarding on the bridge`,
    async () => {
      const [operstate, brport] = await Promise.all([
        readFile(`${sys}/operstate`, 'utf8'),
        readFile(`${sys}/brport/state`, 'utf8'),
      ]);
      return operstate.trim() === 'up' && brport.trim() === BRPORT_FORWARDING;
    },
    { timeoutMs: 10_000 },
  );
}
