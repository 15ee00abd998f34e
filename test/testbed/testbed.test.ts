import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecked, runCommand, type CommandResult } from './command.js';
import { createTestbed, testbedSupported, type TestHost, type Testbed } from './testbed.js';

// The testbed's own tests. On CI (root) they must run: an unsupported machine fails with the reason
// unless SLIPWAY_SKIP_TESTBED=1 says to skip them.

const SKIP = process.env.SLIPWAY_SKIP_TESTBED === '1';
const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const FIXTURE = join(import.meta.dirname, 'stale-fixture.ts');
const MARKER = `testbed-marker-${process.pid}`;

function requireSupport(): void {
  const support = testbedSupported();
  if (!support.ok) {
    throw new Error(`the testbed cannot run here: ${support.why} (SLIPWAY_SKIP_TESTBED=1 skips these tests)`);
  }
}

function ssh(
  testbed: Testbed,
  host: TestHost,
  command: string,
  user: string = host.user,
): Promise<CommandResult> {
  return runCommand(
    [
      'ssh',
      '-F',
      '/dev/null',
      '-i',
      testbed.clientKeyPath,
      '-o',
      `UserKnownHostsFile=${testbed.knownHostsPath}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'ConnectTimeout=5',
      '-o',
      'LogLevel=ERROR',
      '-p',
      String(host.port),
      `${user}@${host.address}`,
      command,
    ],
    { timeoutMs: 20_000 },
  );
}

async function sshOk(
  testbed: Testbed,
  host: TestHost,
  command: string,
  user: string = host.user,
): Promise<string> {
  const result = await ssh(testbed, host, command, user);
  expect(result.code, `ssh ${user}@${host.name} ${command}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

function tcpConnects(address: string, timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: address, port: 22 });
    const finish = (ok: boolean): void => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

async function netnsNames(): Promise<string[]> {
  const { stdout } = await runChecked(['ip', 'netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** The machine's accounts or groups (the hosts share its /etc). */
function accounts(file: '/etc/passwd' | '/etc/group' = '/etc/passwd'): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.split(':')[0] ?? '')
    .filter(Boolean);
}

/** Pids of processes whose command line mentions path (our sshds run with -f <stateDir>/…). */
function processesMentioning(path: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(SKIP)('testbed: SSH hosts in network namespaces', () => {
  let testbed: Testbed | undefined;
  let h1: TestHost;
  let h2: TestHost;
  const bed = (): Testbed => {
    if (!testbed) throw new Error('no testbed (see beforeAll)');
    return testbed;
  };

  beforeAll(async () => {
    requireSupport();
    testbed = await createTestbed({ hosts: 2, name: 'selftest', users: ['deploy'] });
    [h1, h2] = testbed.hosts as [TestHost, TestHost];
  });

  afterAll(async () => {
    await testbed?.destroy();
  });

  it('gives each host its own address, netns and host key', () => {
    expect(bed().hosts.map((h) => h.name)).toEqual(['h1', 'h2']);
    expect(h1.address).toMatch(/^10\.231\.\d{1,3}\.11$/);
    expect(h2.address).toBe(h1.address.replace(/\.11$/, '.12'));
    expect(h1.netns).not.toBe(h2.netns);
    expect(h1.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(h1.hostKeyFingerprint).not.toBe(h2.hostKeyFingerprint);
    expect(h1.hostKeyLine).toMatch(new RegExp(`^${h1.address.replaceAll('.', '\\.')} ssh-ed25519 AAAA\\S+$`));
    expect(readFileSync(bed().knownHostsPath, 'utf8')).toBe(`${h1.hostKeyLine}\n${h2.hostKeyLine}\n`);
  });

  it('reaches every host over SSH with strict host key checking, each with its own /var/lib/slipway', async () => {
    for (const host of bed().hosts) {
      const out = await sshOk(
        bed(),
        host,
        'echo hi > /var/lib/slipway/x && cat /proc/self/mountinfo | grep slipway',
      );
      expect(out).toContain(`${host.dataDir} /var/lib/slipway `);
      expect(readFileSync(join(host.dataDir, 'x'), 'utf8')).toBe('hi\n');
      expect(await sshOk(bed(), host, 'hostname')).toBe(`${host.name}\n`);
    }
  });

  it('presents the host keys whose fingerprints it reports', async () => {
    const { stdout } = await runChecked(['ssh-keygen', '-l', '-E', 'sha256', '-f', bed().knownHostsPath]);
    for (const host of bed().hosts) {
      expect(stdout).toContain(`${host.hostKeyFingerprint} ${host.address} (ED25519)`);
    }
  });

  it("keeps each host's /var/lib/slipway, /tmp and /run to itself", async () => {
    await sshOk(bed(), h1, 'echo from h1 > /var/lib/slipway/only-h1');
    await sshOk(bed(), h2, 'echo from h2 > /var/lib/slipway/only-h2');
    expect(readFileSync(join(h1.dataDir, 'only-h1'), 'utf8')).toBe('from h1\n');
    expect(existsSync(join(h2.dataDir, 'only-h1'))).toBe(false);
    expect(existsSync('/var/lib/slipway/only-h1')).toBe(false);

    const h1Sees = await sshOk(bed(), h1, 'ls -A /var/lib/slipway');
    expect(h1Sees.split('\n')).toContain('only-h1');
    expect(h1Sees.split('\n')).not.toContain('only-h2');
    expect((await ssh(bed(), h1, 'test -e /var/lib/slipway/only-h2')).code).toBe(1);
    expect((await ssh(bed(), h2, 'test -e /var/lib/slipway/only-h1')).code).toBe(1);

    await sshOk(bed(), h1, `echo t > /tmp/${MARKER}`);
    expect((await ssh(bed(), h1, `test -e /tmp/${MARKER}`)).code).toBe(0);
    expect((await ssh(bed(), h2, `test -e /tmp/${MARKER}`)).code).toBe(1);
    expect(existsSync(`/tmp/${MARKER}`)).toBe(false);

    await sshOk(bed(), h1, `echo r > /run/${MARKER}`);
    expect((await ssh(bed(), h2, `test -e /run/${MARKER}`)).code).toBe(1);
    expect(existsSync(`/run/${MARKER}`)).toBe(false);
  });

  it('lets an unprivileged user log in on every host, with a home and an agent directory of its own there', async () => {
    const [deploy] = bed().users;
    if (!deploy) throw new Error('the testbed was asked for one user');
    expect(deploy.name).toBe('deploy');
    expect(deploy.login).toMatch(/^swb\d{1,3}-deploy$/);
    expect(deploy.uid).not.toBe(0);
    for (const host of bed().hosts) {
      const out = await sshOk(
        bed(),
        host,
        `id -u; id -un; pwd; echo "$HOME"; echo ${host.name} > ${deploy.agentHome}/mine && cat ${deploy.agentHome}/mine`,
        deploy.login,
      );
      expect(out).toBe(`${deploy.uid}\n${deploy.login}\n${deploy.home}\n${deploy.home}\n${host.name}\n`);
      // Unprivileged for real: root's places stay closed to it.
      const denied = await ssh(bed(), host, 'touch /var/lib/slipway/not-mine', deploy.login);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toMatch(/Permission denied/);
      expect(statSync(join(host.dataDir, 'users', deploy.login, 'slipway', 'mine')).uid).toBe(deploy.uid);
    }
    // Each host has its own: what the user wrote on h1 is h1's.
    expect(readFileSync(join(h1.dataDir, 'users', deploy.login, 'slipway', 'mine'), 'utf8')).toBe('h1\n');
    expect(readFileSync(join(h2.dataDir, 'users', deploy.login, 'slipway', 'mine'), 'utf8')).toBe('h2\n');
    // Only root and the testbed's own accounts log in: another account of the machine does not.
    expect((await ssh(bed(), h1, 'true', 'nobody')).code).not.toBe(0);
  });

  it('runs commands inside a host with exec (its netns, files and hostname)', async () => {
    const result = await h1.exec([
      'sh',
      '-c',
      'hostname; cat /var/lib/slipway/only-h1; ip -4 -o addr show dev eth0',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^h1\nfrom h1\n/);
    expect(result.stdout).toContain(`inet ${h1.address}/24`);
    expect(result.stdout).not.toContain(h2.address);
    expect((await h2.exec(['sh', '-c', 'exit 3'])).code).toBe(3);
  });

  it('lets hosts reach each other, and the bridge forwards nothing beyond them', async () => {
    const banner = await h1.exec(['bash', '-c', `exec 3<>/dev/tcp/${h2.address}/22 && head -c 4 <&3`]);
    expect(banner.stdout).toBe('SSH-');
    const bridge = h1.netns.split('-')[0] ?? '';
    expect(readFileSync(`/proc/sys/net/ipv4/conf/${bridge}/forwarding`, 'utf8').trim()).toBe('0');
    const ipv6 = await h1.exec(['cat', '/proc/sys/net/ipv6/conf/eth0/disable_ipv6']);
    expect(ipv6.stdout.trim()).toBe('1');
  });

  it('cutLink makes a host unreachable while the other still answers; restoreLink brings it back', async () => {
    expect(await tcpConnects(h1.address, 2_000)).toBe(true);
    await h1.cutLink();
    try {
      expect(await tcpConnects(h1.address, 1_000)).toBe(false);
      expect(await sshOk(bed(), h2, 'echo up')).toBe('up\n');
    } finally {
      await h1.restoreLink();
    }
    expect(await tcpConnects(h1.address, 5_000)).toBe(true);
    expect(await sshOk(bed(), h1, 'echo back')).toBe('back\n');
  });

  it('useTinyDisk fills up: writing 1 MB fails with "No space left", files already there stay', async () => {
    await h1.useTinyDisk(64 * 1024);
    const big = await ssh(bed(), h1, 'head -c 1048576 /dev/zero > /var/lib/slipway/big');
    expect(big.code).not.toBe(0);
    expect(big.stderr).toMatch(/No space left/);
    const view = await sshOk(
      bed(),
      h1,
      'cat /var/lib/slipway/only-h1; grep " /var/lib/slipway " /proc/self/mountinfo',
    );
    expect(view).toMatch(/^from h1\n/);
    expect(view).toContain('tmpfs');

    expect(await sshOk(bed(), h2, 'head -c 1048576 /dev/zero > /var/lib/slipway/big && echo written')).toBe(
      'written\n',
    );
    expect(statSync(join(h2.dataDir, 'big')).size).toBe(1_048_576);
  });

  it('destroy removes namespaces, links, sshds and files, and can be called again', async () => {
    const stateDir = dirname(bed().clientKeyPath);
    const bridge = h1.netns.split('-')[0] ?? '';
    const logins = bed().users.map((u) => u.login);
    expect(processesMentioning(stateDir).length).toBeGreaterThanOrEqual(2);
    expect(await netnsNames()).toEqual(expect.arrayContaining([h1.netns, h2.netns]));
    expect(accounts()).toEqual(expect.arrayContaining(logins));

    await bed().destroy();

    const left = await netnsNames();
    expect(left).not.toContain(h1.netns);
    expect(left).not.toContain(h2.netns);
    expect(processesMentioning(stateDir)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    for (const login of logins) {
      expect(accounts()).not.toContain(login);
      expect(accounts('/etc/group')).not.toContain(login);
    }
    expect((await runCommand(['ip', 'link', 'show', bridge])).code).not.toBe(0);
    // No connection attempt here: without the bridge the address would route out of the machine.
    const routes = (await runChecked(['ip', '-4', 'route', 'show', 'match', h1.address])).stdout;
    expect(routes).not.toContain(bridge);
    expect(routes).not.toContain(`metric ${4000 + Number(bridge.slice(3))}`); // its guard route
    await expect(bed().destroy()).resolves.toBeUndefined();
  });
});

describe.skipIf(SKIP)("testbed: a crashed run's leftovers", () => {
  let next: Testbed | undefined;

  afterAll(async () => {
    await next?.destroy();
  });

  it('are removed by the next createTestbed', async () => {
    requireSupport();
    const crashed = await runFixtureAndKillIt();
    expect(await netnsNames()).toEqual(expect.arrayContaining(crashed.netns));
    expect(crashed.logins).toHaveLength(1);
    expect(accounts()).toEqual(expect.arrayContaining(crashed.logins));

    const stalePids = processesMentioning(crashed.stateDir);
    expect(stalePids.length).toBeGreaterThan(0);

    next = await createTestbed({ hosts: 1, name: 'aftercrash' });

    const left = await netnsNames();
    for (const ns of crashed.netns) expect(left).not.toContain(ns);
    // The next testbed may reuse the slot, but asked for no user: the crashed run's account is gone.
    for (const login of crashed.logins) expect(accounts()).not.toContain(login);
    // The next testbed may reuse the slot (and so the state dir's path): look at the old pids only.
    expect(stalePids.filter((pid) => processesMentioning(crashed.stateDir).includes(pid))).toEqual([]);
    const [host] = next.hosts as [TestHost];
    expect(await sshOk(next, host, 'hostname')).toBe('h1\n');
  });
});

/** Starts stale-fixture.ts, waits for its testbed, then SIGKILLs its process group (not the sshd). */
async function runFixtureAndKillIt(): Promise<{ netns: string[]; logins: string[]; stateDir: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`fixture gave no report in time\n${stderr}`)), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('\n')) {
          clearTimeout(timer);
          done();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`fixture exited with ${code}\n${stderr}`));
      });
    });
  } finally {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    await exited;
  }
  return JSON.parse(stdout) as { netns: string[]; logins: string[]; stateDir: string };
}
