import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HOST_DOCKER_SOCKET,
  importNodeBaseImage,
  startDockerEngine,
  startHostDockerEngine,
  type DockerEngine,
} from '../helpers/docker.js';
import { startLoad } from '../helpers/load-loop.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { REPO_ROOT, expectOk, freePort, runCli, type CliResult } from '../helpers/project.js';
import { claimFreeSlot, type SlotLock } from '../testbed/slot-lock.js';
import { createTestbed, type Testbed } from '../testbed/testbed.js';

// A registry with a login on a testbed of three SSH hosts, each with its own dockerd: the control plane builds and
// pushes the release once (Debian's Distribution on the testbed's bridge, htpasswd auth, TLS from a test CA that
// the engines trust through /etc/docker/certs.d); each host's agent pulls it by digest with the password sent for
// that pull only. Nothing is uploaded over SFTP, and the password is on no host's disk.

const APP_PORT = 8421;
const BASE = 'slipway-test-node:base';

describe('a registry with a login on a testbed of 3 SSH hosts', () => {
  let testbed: Testbed;
  let engine: DockerEngine;
  let registry: TestRegistry;
  let subnet: SlotLock;
  const stopHostEngines: Array<() => Promise<void>> = [];
  let dir: string;
  let edgePort: number;
  const cli = (args: string[], password = registry.password): Promise<CliResult> =>
    runCli(['-c', join(dir, 'slipway.yml'), ...args], { SLIPWAY_SECRET_REGISTRY_PASSWORD: password });

  const writeConfig = (): void => {
    const hosts = testbed.hosts
      .map(
        (h) =>
          `      - name: ${h.name}\n        address: ${h.address}\n        user: root\n        identityFile: ${testbed.clientKeyPath}`,
      )
      .join('\n');
    writeFileSync(
      join(dir, 'slipway.yml'),
      `app: hello
build:
  command: node build.js
run:
  command: node server.js
  stopTimeout: 5s
runtime:
  kind: docker
  socket: ${HOST_DOCKER_SOCKET}
  buildSocket: ${engine.socket}
  registry:
    server: ${registry.server}
    username: ${registry.username}
    passwordSecret: REGISTRY_PASSWORD
    ca: registry-ca.pem
healthCheck:
  path: /healthz
  interval: 200ms
  timeout: 1s
  healthyThreshold: 2
  startTimeout: 20s
env:
  HOST: "0.0.0.0"
environments:
  production:
    hosts:
${hosts}
    publicPort: ${APP_PORT}
    ssh:
      knownHosts: ${testbed.knownHostsPath}
      connectTimeout: 3s
    edge:
      host: local
      publicPort: ${edgePort}
      bindAddress: 127.0.0.1
    strategy:
      kind: blue-green
      keepWarm: 5m
      drainTimeout: 5s
`,
    );
  };

  beforeAll(async () => {
    engine = await startDockerEngine();
    await importNodeBaseImage(engine.docker, BASE);
    testbed = await createTestbed({ hosts: 3, name: 'dkreg' });
    // The root namespace's address on the testbed's bridge (10.231.<slot>.1): the hosts reach it, nothing else.
    const bridgeAddress = testbed.hosts[0]?.address.replace(/\.\d+$/, '.1') ?? '';
    registry = await startRegistry({ address: bridgeAddress });
    registry.trustOnThisMachine(); // the hosts share the machine's /etc: their engines read the same certs.d
    subnet = await claimFreeSlot(120 + Math.floor(Math.random() * 50));
    for (const host of testbed.hosts) stopHostEngines.push(await startHostDockerEngine(host, subnet.slot));
    dir = mkdtempSync(join(tmpdir(), 'sw-dkr-'));
    cpSync(join(REPO_ROOT, 'examples', 'hello'), dir, {
      recursive: true,
      filter: (src) => !src.includes('.slipway'),
    });
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${BASE}\nWORKDIR /app\nCOPY . /app/\n`);
    writeFileSync(join(dir, 'registry-ca.pem'), registry.caPem);
    edgePort = await freePort();
    writeConfig();
  }, 300_000);

  afterAll(async () => {
    if (dir) {
      await cli(['agent', 'stop', '--stop-targets']);
      rmSync(dir, { recursive: true, force: true });
    }
    for (const stop of stopHostEngines) await stop().catch(() => undefined);
    await testbed?.destroy();
    await subnet?.release();
    await engine?.stop();
    await registry?.stop();
  }, 180_000);

  const imageRefOf = async (version: string): Promise<string> => {
    const releases = JSON.parse(expectOk(await cli(['releases', '--json'])).stdout) as Array<{
      version: string;
      imageRef?: string;
    }>;
    return releases.find((r) => r.version === version)?.imageRef ?? '';
  };

  it('pushes once and each host pulls the release by digest, then serves it through the edge', async () => {
    expectOk(await cli(['setup', 'production']));
    expectOk(await cli(['release', 'create', '--version', '1.0.0']));
    const ref = await imageRefOf('1.0.0');
    expect(ref).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(await registry.manifestStatus('hello', ref.split('@')[1] ?? '')).toBe(200);

    const deploy = expectOk(await cli(['deploy', 'production', '--release', '1.0.0']));
    expect(deploy.stdout.split(`pulled ${ref}`).length - 1).toBe(testbed.hosts.length);
    expect(deploy.stdout).not.toContain('image uploaded and loaded');
    expect(deploy.stdout + deploy.stderr).not.toContain(registry.password);
    for (const h of testbed.hosts) {
      const images = await h.exec([
        'docker',
        '-H',
        `unix://${HOST_DOCKER_SOCKET}`,
        'images',
        '--digests',
        '--format',
        '{{.Repository}}@{{.Digest}}',
      ]);
      expect(images.stdout.split('\n')).toContain(ref);
    }
    const deadline = Date.now() + 20_000;
    let body = '';
    while (!body.includes('hello 1.0.0') && Date.now() < deadline) {
      body = await (await fetch(`http://127.0.0.1:${edgePort}/`)).text();
      if (!body.includes('hello 1.0.0')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(body).toContain('hello 1.0.0');
  });

  it("leaves the password on no host's disk: not in the agent's home, nor a docker config", async () => {
    for (const h of testbed.hosts) {
      // The agent's home is /var/lib/slipway (the engine's data-root under it, image layers, is left out; its
      // log is in).
      const search = await h.exec([
        'sh',
        '-c',
        [
          'files=$( { find /var/lib/slipway -path /var/lib/slipway/docker -prune -o -type f -print; find /root/.docker /etc/docker -type f 2>/dev/null; } )',
          'echo "files $(echo "$files" | grep -c .)"',
          'echo "$files" | while IFS= read -r f; do grep -qaF -e "$1" "$f" && echo "found $f"; done; true',
        ].join('\n'),
        'sh',
        registry.password,
      ]);
      const lines = search.stdout.trim().split('\n');
      expect(lines.filter((l) => l.startsWith('found '))).toEqual([]);
      const files = Number(lines.find((l) => l.startsWith('files '))?.slice(6));
      expect(files).toBeGreaterThan(3); // the search did look at the agent's files
    }
  });

  it('slipway check logs in from each host through its engine: a wrong password and an untrusted CA fail', async () => {
    const ok = expectOk(await cli(['check', 'production']));
    expect(ok.stdout.split(`${registry.username} logs in to ${registry.server}`).length - 1).toBe(
      testbed.hosts.length,
    );

    const wrong = await cli(['check', 'production'], 'wrong-password-789');
    expect(wrong.code).not.toBe(0);
    expect(
      wrong.stdout.split(`registry ${registry.server} refused user ${registry.username}`).length - 1,
    ).toBe(testbed.hosts.length);
    expect(wrong.stdout + wrong.stderr).not.toContain('wrong-password-789');

    // The engines trust the registry through /etc/docker/certs.d (the hosts share the machine's /etc).
    const caFile = `/etc/docker/certs.d/${registry.server}/ca.crt`;
    rmSync(caFile);
    try {
      const untrusted = await cli(['check', 'production']);
      expect(untrusted.code).not.toBe(0);
      expect(untrusted.stdout).toContain(`registry ${registry.server}'s TLS certificate is not trusted`);
      expect(untrusted.stdout).toContain(caFile);
    } finally {
      registry.trustOnThisMachine();
    }
  });

  it('deploys the next release under load through the edge with no failed request, pulled on each host', async () => {
    expectOk(await cli(['release', 'create', '--version', '2.0.0']));
    const ref = await imageRefOf('2.0.0');
    const load = startLoad(`http://127.0.0.1:${edgePort}`, { concurrency: 4, maxMs: 120_000 });
    await load.warm();
    const deploy = expectOk(await cli(['deploy', 'production', '--release', '2.0.0']));
    await new Promise((r) => setTimeout(r, 300));
    const report = await load.stop();
    expect(deploy.stdout.split(`pulled ${ref}`).length - 1).toBe(testbed.hosts.length);
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.byRelease['1.0.0']).toBeGreaterThan(0);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);
  });
});
