import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as netConnect } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../agent/process-util.js';
import { AGENT_VERSION } from '../agent/version.js';
import type { SshHostConfig } from '../config/host-schema.js';
import { packageArtifact } from '../release/package-artifact.js';
import { checkHost } from './check-host.js';
import { fingerprint } from './known-hosts.js';
import { setupHost, type SetupHostOptions } from './setup-host.js';
import { AgentNotRunningError, HostAuthError, HostKeyError, HostUnreachableError } from './ssh-errors.js';
import { SshHost, type SshHostSettings } from './ssh-host.js';
import { generateKey, killSshdSessions, removeTestDir, startTestSshd, type TestSshd } from './test-sshd.js';

const AGENT_BUNDLE = resolve(import.meta.dirname, '..', '..', 'dist', 'agent.js');

let sshd: TestSshd;
let knownHosts: string;
const opened: SshHost[] = [];

function hostConfig(overrides: Partial<SshHostConfig> = {}): SshHostConfig {
  return {
    name: 'web-1',
    address: '127.0.0.1',
    port: sshd.port,
    user: 'root',
    identityFile: sshd.clientKey,
    roles: [],
    agentHome: join(sshd.dir, 'home'),
    ...overrides,
  };
}

function sshHost(overrides: Partial<SshHostConfig> = {}, settings: Partial<SshHostSettings> = {}): SshHost {
  const host = new SshHost(hostConfig(overrides), {
    knownHostsFile: knownHosts,
    trustNewHosts: false,
    connectTimeoutMs: 5_000,
    projectDir: sshd.dir,
    environment: 'production',
    ...settings,
  });
  opened.push(host);
  return host;
}

const setupOptions: SetupHostOptions = {
  agentBundle: AGENT_BUNDLE,
  nodeBinary: process.execPath,
  agentVersion: AGENT_VERSION,
  // Never install a real systemd unit from a test, whatever machine it runs on.
  service: 'detached',
};

beforeAll(async () => {
  sshd = await startTestSshd();
  knownHosts = join(sshd.dir, 'known_hosts');
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((h) => h.close()));
});

afterAll(async () => {
  // The agents this file started (the second one only exists when its test failed half-way).
  for (const agentHome of [join(sshd.dir, 'home'), join(sshd.dir, 'empty')]) {
    const host = sshHost({ agentHome }, { trustNewHosts: true });
    await host.stopAgent({ stopTargets: true }).catch(() => false);
  }
  await Promise.all(opened.map((h) => h.close()));
  await sshd?.stop();
  if (sshd) removeTestDir(sshd.dir);
});

async function rejection(promise: Promise<unknown>): Promise<Error & { hint?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { hint?: string };
  }
  throw new Error('expected a rejection');
}

describe('SshHost against a real sshd', () => {
  it('refuses an unknown host key, naming the host, its address and the fingerprint', async () => {
    const err = await rejection(sshHost().exec(['true']));
    expect(err).toBeInstanceOf(HostKeyError);
    expect(err.message).toContain(`web-1 (127.0.0.1:${sshd.port})`);
    expect(err.message).toContain(fingerprint(sshd.hostKeyPublicBlob));
    expect(err.message).not.toContain('\n');
    expect(err.hint).toContain('slipway setup production --trust-new-hosts');
    expect(existsSync(knownHosts)).toBe(false);
  });

  it('records a new host key with trustNewHosts and accepts it from then on', async () => {
    const trusting = sshHost({}, { trustNewHosts: true });
    expect((await trusting.exec(['echo', 'hello'])).stdout).toBe('hello\n');
    expect(readFileSync(knownHosts, 'utf8')).toBe(
      `[127.0.0.1]:${sshd.port} ssh-ed25519 ${sshd.hostKeyPublicBlob.toString('base64')}\n`,
    );
    expect((await sshHost().exec(['echo', 'again'])).stdout).toBe('again\n');
  });

  it('refuses a changed host key loudly, even with trustNewHosts', async () => {
    const otherKey = join(sshd.dir, 'other_host_key');
    generateKey(otherKey);
    const file = join(sshd.dir, 'known_hosts_changed');
    writeFileSync(file, `[127.0.0.1]:${sshd.port} ${readFileSync(`${otherKey}.pub`, 'utf8')}`);
    const err = await rejection(sshHost({}, { knownHostsFile: file, trustNewHosts: true }).exec(['true']));
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).status).toBe('changed');
    expect(err.message).toMatch(/CHANGED/);
    expect(err.message).toMatch(/man-in-the-middle/);
    expect(err.message).toContain(fingerprint(sshd.hostKeyPublicBlob));
    expect(err.hint).toContain(file);
  });

  it('says which user and key failed to authenticate', async () => {
    const wrongUser = await rejection(sshHost({ user: 'nosuchuser' }).exec(['true']));
    expect(wrongUser).toBeInstanceOf(HostAuthError);
    expect(wrongUser.message).toBe(
      `SSH authentication failed for user nosuchuser on web-1 (127.0.0.1:${sshd.port}) with key ${sshd.clientKey}`,
    );
    const strayKey = join(sshd.dir, 'stray_key');
    generateKey(strayKey);
    const wrongKey = await rejection(sshHost({ identityFile: 'stray_key' }).exec(['true']));
    expect(wrongKey).toBeInstanceOf(HostAuthError);
    expect(wrongKey.message).toContain(`user root`);
    expect(wrongKey.message).toContain(`key ${strayKey}`);
  });

  it('says clearly when nothing listens on the port', async () => {
    const port = await findFreePort();
    const err = await rejection(sshHost({ port }).exec(['true']));
    expect(err).toBeInstanceOf(HostUnreachableError);
    expect(err.message).toBe(`cannot reach web-1 (127.0.0.1:${port}): connection refused (ECONNREFUSED)`);
  });

  it('runs argv commands quoted at one edge, with stdin and exit codes', async () => {
    const host = sshHost();
    const words = ['a b', "it's", '$HOME', '*', ''];
    expect((await host.exec(['printf', '[%s]', ...words])).stdout).toBe(words.map((w) => `[${w}]`).join(''));
    expect(await host.exec(['sh', '-c', 'cat; echo oops >&2; exit 7'], { stdin: 'in' })).toEqual({
      code: 7,
      signal: null,
      stdout: 'in',
      stderr: 'oops\n',
    });
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => host.exec(['echo', String(i)])));
    expect(all.map((r) => r.stdout)).toEqual(Array.from({ length: 12 }, (_, i) => `${i}\n`));
  });

  it('reaches a host through a jump host', async () => {
    const host = sshHost(
      {},
      { jumpHost: { address: '127.0.0.1', port: sshd.port, user: 'root', identityFile: sshd.clientKey } },
    );
    expect((await host.exec(['echo', 'via jump'])).stdout).toBe('via jump\n');
  });

  it('before setup: the agent is not installed and checks say so', async () => {
    const host = sshHost({ agentHome: join(sshd.dir, 'empty') });
    const err = await rejection(host.agent());
    expect(err.message).toContain('not installed on web-1');
    expect(err.hint).toBe('run: slipway setup production');
    const rows = await checkHost(host, checkOptions(await findFreePort()));
    expect(rows.find((r) => r.check === 'runtime')).toMatchObject({ status: 'warn', hint: err.hint });
    expect(rows.find((r) => r.check === 'agent')?.status).toBe('warn');
    expect(rows.find((r) => r.check === 'disk')?.status).toBe('ok');
  });

  it('sets up the agent, then a second setup skips the uploads and keeps it running', async () => {
    const first = await setupHost(sshHost(), setupOptions);
    expect(first.files.map((f) => [f.file, f.action])).toEqual([
      ['node', 'uploaded'],
      ['agent.js', 'uploaded'],
    ]);
    expect(first).toMatchObject({ service: 'detached', agent: 'started', agentVersion: AGENT_VERSION });
    expect(first.nodeVersion).toBe(process.version);

    const second = await setupHost(sshHost(), setupOptions);
    expect(second.files.map((f) => f.action)).toEqual(['skipped', 'skipped']);
    expect(second).toMatchObject({ agent: 'already-running', agentPid: first.agentPid, notes: [] });
  });

  it('pings the agent through the bridge, and an agent it did not start is reported as not running', async () => {
    const host = sshHost();
    const ping = await (await host.agent()).call('ping', {});
    expect(ping.agentVersion).toBe(AGENT_VERSION);
    expect(await host.agent()).toBe(await host.agent());
    const other = sshHost({ agentHome: join(sshd.dir, 'empty') });
    await setupHost(other, setupOptions).catch(() => undefined);
    expect(await other.stopAgent({ stopTargets: true })).toBe(true);
    expect(await rejection(other.agent({ start: false }))).toBeInstanceOf(AgentNotRunningError);
  });

  it('reaches a running agent through its socket, with no command on the host (no shell, no bridge)', async () => {
    const host = sshHost();
    await (await host.agent()).call('ping', {});
    const node = join(sshd.dir, 'home', 'bin', 'node');
    renameSync(node, `${node}.aside`);
    try {
      // Nothing can run node on the host now, so a working client did not come from `node agent.js bridge`.
      expect((await host.exec([node, '--version'])).code).toBe(127);
      const fresh = sshHost();
      expect((await (await fresh.agent()).call('ping', {})).agentVersion).toBe(AGENT_VERSION);
    } finally {
      renameSync(`${node}.aside`, node);
    }
  });

  it('falls back to the bridge where the server refuses to forward to the socket', async () => {
    const strict = await startTestSshd({ extraConfig: ['AllowStreamLocalForwarding no'] });
    try {
      const home = join(sshd.dir, 'home');
      const viaBridge = (): SshHost =>
        sshHost(
          { port: strict.port, identityFile: strict.clientKey, agentHome: home },
          { trustNewHosts: true, knownHostsFile: join(strict.dir, 'known_hosts') },
        );
      expect((await (await viaBridge().agent()).call('ping', {})).agentVersion).toBe(AGENT_VERSION);
      const node = join(home, 'bin', 'node');
      renameSync(node, `${node}.aside`);
      try {
        // The agent runs, but this server only lets a command reach it, and that command cannot run now.
        expect((await rejection(viaBridge().agent())).message).toContain('not installed on web-1');
      } finally {
        renameSync(`${node}.aside`, node);
      }
    } finally {
      await Promise.all(opened.splice(0).map((h) => h.close()));
      await strict.stop();
      removeTestDir(strict.dir);
    }
  });

  it('restarts the agent when its bundle changed; its targets keep running and are adopted', async () => {
    const host = sshHost();
    const { targetPid, publicPort } = await startServingTarget(host);
    const before = await (await host.agent()).call('ping', {});
    const routerBefore = (await (await host.agent()).call('state', {})).routerPid;
    expect(routerBefore).toBeGreaterThan(0);
    const changedBundle = join(sshd.dir, 'agent-changed.js');
    copyFileSync(AGENT_BUNDLE, changedBundle);
    writeFileSync(changedBundle, `${readFileSync(changedBundle, 'utf8')}\n// changed\n`);
    const result = await setupHost(host, { ...setupOptions, agentBundle: changedBundle });
    expect(result.files.map((f) => [f.file, f.action])).toEqual([
      ['node', 'skipped'],
      ['agent.js', 'uploaded'],
    ]);
    expect(result.agent).toBe('restarted');
    expect(result.agentPid).not.toBe(before.pid);
    expect(result.notes.join(' ')).toMatch(/the router process \(pid \d+\) kept serving the public ports/);
    const state = await (await host.agent()).call('state', {});
    expect(state.routerPid).toBe(routerBefore); // the public port was never closed
    expect(state.targets.map((t) => [t.id, t.pid, t.state])).toEqual([['hello-1', targetPid, 'running']]);
    expect(state.routes.map((r) => [r.app, r.publicPort])).toEqual([['hello', publicPort]]);
    // Back to the real bundle for the tests that follow.
    expect((await setupHost(host, setupOptions)).agent).toBe('restarted');
  });

  it('uploads an artifact once and skips it the second time', async () => {
    const host = sshHost();
    const local = join(sshd.dir, 'artifact.tar.gz');
    writeFileSync(local, 'not really a tarball, but bytes');
    const sha256 = execFileSync('sha256sum', [local], { encoding: 'utf8' }).slice(0, 64);
    const path = await host.putArtifact(local, sha256);
    expect(path).toBe(join(sshd.dir, 'home', 'artifacts', `${sha256}.tar.gz`));
    expect(readFileSync(path, 'utf8')).toBe('not really a tarball, but bytes');
    const inode = (await host.execChecked(['stat', '-c', '%i', path])).stdout;
    expect(await host.putArtifact(local, sha256)).toBe(path);
    expect((await host.execChecked(['stat', '-c', '%i', path])).stdout).toBe(inode);
  });

  it('passes every preflight check on a set-up host', async () => {
    const rows = await checkHost(sshHost(), checkOptions(await findFreePort()));
    expect(rows.map((r) => r.check)).toEqual([
      'connection',
      'os',
      'disk',
      'memory',
      'port',
      'runtime',
      'clock',
      'agent',
      'supervisor',
    ]);
    expect(rows.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(rows.find((r) => r.check === 'agent')?.detail).toContain(AGENT_VERSION);
    expect(rows.find((r) => r.check === 'supervisor')?.detail).toMatch(
      /^the agent \(pid \d+\) and the router process \(pid \d+\) are restarted by the keeper$/,
    );
  });

  it('a running agent reads the preflight facts itself: the checks pass where no command may run', async () => {
    const noCommands = await startTestSshd({ extraConfig: ['ForceCommand /bin/false'] });
    try {
      const host = sshHost(
        { port: noCommands.port, identityFile: noCommands.clientKey },
        { trustNewHosts: true, knownHostsFile: join(noCommands.dir, 'known_hosts') },
      );
      expect((await host.exec(['echo', 'hi'])).stdout).toBe('');
      const rows = await checkHost(host, checkOptions(await findFreePort()));
      expect(rows.filter((r) => r.status !== 'ok')).toEqual([]);
      expect(rows.find((r) => r.check === 'runtime')?.detail).toBe(`node ${process.version}`);
    } finally {
      await Promise.all(opened.splice(0).map((h) => h.close()));
      await noCommands.stop();
      removeTestDir(noCommands.dir);
    }
  });

  it('fails the port check when another process holds the public port', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const rows = await checkHost(sshHost(), checkOptions(port));
      const row = rows.find((r) => r.check === 'port');
      expect(row?.status).toBe('fail');
      expect(row?.detail).toMatch(new RegExp(`^${port} is in use by .*\\(pid ${process.pid}\\)$`));
    } finally {
      server.close();
    }
  });

  it("checks the front door's ports: one another process holds fails, naming it; a free one passes", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const held = (server.address() as { port: number }).port;
    const free = await findFreePort();
    try {
      const rows = await checkHost(sshHost(), {
        ...checkOptions(await findFreePort()),
        frontDoor: { httpPort: held, httpsPort: free },
      });
      expect(rows.filter((r) => r.check === 'front door')).toEqual([
        {
          check: 'front door',
          status: 'fail',
          detail: expect.stringMatching(
            new RegExp(`^HTTP port ${held} is in use by .*\\(pid ${process.pid}\\)$`),
          ) as unknown,
          hint: 'stop that process, or give environments.production.frontDoor other ports (httpPort, httpsPort)',
        },
        { check: 'front door', status: 'ok', detail: `HTTPS port ${free} is free` },
      ]);
    } finally {
      server.close();
    }
  });

  it('rejects in-flight calls when the connection drops, and reconnects on the next call', async () => {
    const host = sshHost();
    const agent = await host.agent();
    await host.exec(['true']);
    const sleeping = rejection(host.exec(['sleep', '30']));
    const call = rejection(
      agent.stream('logs', { app: 'none', targetId: 'none', lines: 0, follow: true }, () => {}),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(killSshdSessions(sshd)).toBeGreaterThan(0);
    expect((await sleeping).message).toMatch(/^lost the SSH connection to web-1/);
    expect((await call).message).toMatch(/closed|lost/);
    expect((await host.exec(['echo', 'back'])).stdout).toBe('back\n');
    expect((await (await host.agent()).call('ping', {})).agentVersion).toBe(AGENT_VERSION);
  });

  it('notices a silently dead link through keepalives', async () => {
    const proxy = await startBlackholeProxy(sshd.port);
    try {
      const host = sshHost(
        { port: proxy.port },
        { trustNewHosts: true, keepaliveIntervalMs: 300, keepaliveCountMax: 2 },
      );
      await host.exec(['true']);
      const sleeping = rejection(host.exec(['sleep', '30']));
      proxy.blackhole();
      const err = await sleeping;
      expect(err).toBeInstanceOf(HostUnreachableError);
      expect(err.message).toMatch(/lost the SSH connection to web-1 .*Keepalive timeout/);
      proxy.restore();
      expect((await host.exec(['echo', 'back'])).stdout).toBe('back\n');
    } finally {
      proxy.close();
    }
  });
});

/** Deploys a tiny HTTP app through the agent, by hand: artifact, release, target, route. */
async function startServingTarget(host: SshHost): Promise<{ targetPid: number; publicPort: number }> {
  const source = join(sshd.dir, 'app');
  mkdirSync(source, { recursive: true });
  writeFileSync(
    join(source, 'server.js'),
    "require('node:http').createServer((q, s) => s.end('hello over ssh')).listen(process.env.PORT, '127.0.0.1');\n",
  );
  const artifact = await packageArtifact(source, join(sshd.dir, 'local-artifacts'), []);
  const artifactPath = await host.putArtifact(artifact.path, artifact.sha256);
  const agent = await host.agent();
  await agent.call('installRelease', {
    app: 'hello',
    version: '1.0.0',
    artifactPath,
    sha256: artifact.sha256,
  });
  const target = await agent.call('startTarget', {
    id: 'hello-1',
    app: 'hello',
    release: '1.0.0',
    command: `${host.paths.node} server.js`,
    env: {},
    secretEnv: {},
    stopTimeoutMs: 2_000,
    healthCheck: { path: '/', intervalMs: 100, timeoutMs: 1_000, healthyThreshold: 1, unhealthyThreshold: 3 },
    restart: { initialBackoffMs: 200, maxBackoffMs: 1_000 },
  });
  expect((await agent.call('waitHealthy', { id: 'hello-1', timeoutMs: 10_000 })).healthy).toBe(true);
  const publicPort = await findFreePort();
  await agent.call('ensureRoute', { app: 'hello', publicPort, bindAddress: '127.0.0.1' });
  await agent.call('switchRoute', { app: 'hello', targetId: 'hello-1', drainTimeoutMs: 1_000 });
  return { targetPid: target.pid ?? -1, publicPort };
}

function checkOptions(publicPort: number) {
  return {
    publicPort,
    requiredDiskBytes: 1024 * 1024,
    minMemoryBytes: 1024 * 1024,
    controlPlaneNowMs: () => Date.now(),
    agentVersion: AGENT_VERSION,
    environment: 'production',
  };
}

/** A TCP proxy whose current connections can be made to drop every byte, as a cut link does. */
async function startBlackholeProxy(targetPort: number) {
  const pairs: Array<[Socket, Socket]> = [];
  let dropping = false;
  const server: Server = createServer((client) => {
    const upstream = netConnect(targetPort, '127.0.0.1');
    pairs.push([client, upstream]);
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (!dropping) to.write(chunk);
      });
      from.on('close', () => to.destroy());
      from.on('error', () => to.destroy());
    };
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    blackhole: () => {
      dropping = true;
    },
    /** New connections work again (the dropped ones stay dead). */
    restore: () => {
      for (const [a, b] of pairs.splice(0)) {
        a.destroy();
        b.destroy();
      }
      dropping = false;
    },
    close: () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      server.close();
    },
  };
}
