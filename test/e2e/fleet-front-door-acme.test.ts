import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPebble, type RunningPebble } from '../../src/certificates/test-pebble.js';
import { startLoad } from '../helpers/load-loop.js';
import { expectOk, renderAppSection, REPO_ROOT, runCli, type CliResult } from '../helpers/project.js';
import { createTestbed, type Testbed } from '../testbed/testbed.js';

// A fleet behind one name with a certificate from a real ACME CA (issue 16): three testbed hosts (network
// namespaces with their own address and sshd) run the app, the edge runs on the first of them, and so does the
// front door for `shop.test` with `tls.acme`. The CA is Pebble, in the root namespace on the testbed's bridge
// address (where the edge host's router process reaches its directory over HTTPS, trusting Pebble's API CA
// through `caBundle`); its DNS (pebble-challtestsrv) resolves shop.test to the edge host, so Pebble's validation
// really connects to the edge host's front door. The certificate is obtained on the edge host at the first deploy,
// kept through a rolling deploy under load, and replaced on demand (`slipway certificates renew`) under load.

const APP_PORT = 8420;
const EDGE_PORT = 8440;
const HTTP_PORT = 8480;
const HTTPS_PORT = 8443;
const NAME = 'shop.test';
const MAX_REQUESTS = 2_000_000;

describe('a fleet behind one name with an ACME certificate: the edge obtains it from Pebble', () => {
  let testbed: Testbed;
  let pebble: RunningPebble;
  /** Pebble's root: what the certificates it issues chain to. */
  let roots: string;
  let dir: string;
  let edgeAddress: string;
  const cli = (args: string[]): Promise<CliResult> => runCli(['-c', join(dir, 'slipway.yml'), ...args]);

  beforeAll(async () => {
    testbed = await createTestbed({ hosts: 3, name: 'fleetacme' });
    const [edgeHost] = testbed.hosts;
    if (!edgeHost) throw new Error('the testbed has no host');
    edgeAddress = edgeHost.address;
    // The root namespace's address on the testbed's bridge (10.231.<slot>.1): the hosts reach it, nothing else.
    const bridgeAddress = edgeAddress.replace(/\.\d+$/, '.1');
    pebble = await startPebble({ httpPort: HTTP_PORT, tlsPort: HTTPS_PORT, listenAddress: bridgeAddress });
    roots = (await pebble.management('/roots/0')).body;
    await pebble.dnsControl('/add-a', { host: `${NAME}.`, addresses: [edgeAddress] });

    dir = mkdtempSync(join(tmpdir(), 'sw-ffda-'));
    cpSync(join(REPO_ROOT, 'examples', 'hello'), dir, {
      recursive: true,
      filter: (src) => !src.includes('.slipway'),
    });
    writeFileSync(join(dir, 'pebble-ca.pem'), pebble.caBundle);
    writeFileSync(join(dir, 'pebble-roots.pem'), roots);
    const host = (h: { name: string; address: string }, indent: string) =>
      `name: ${h.name}\n${indent}address: ${h.address}\n${indent}user: root\n${indent}identityFile: ${testbed.clientKeyPath}`;
    const hosts = testbed.hosts.map((h) => `      - ${host(h, '        ')}`).join('\n');
    // The access probe trusts Pebble's root through verification's trust setting (not caBundle: that is the
    // directory's own HTTPS).
    writeFileSync(
      join(dir, 'slipway.yml'),
      `${renderAppSection({ healthStartTimeout: '15s' })}environments:
  production:
    hosts:
${hosts}
    publicPort: ${APP_PORT}
    ssh:
      knownHosts: ${testbed.knownHostsPath}
      connectTimeout: 3s
    edge:
      host:
        ${host(edgeHost, '        ')}
      publicPort: ${EDGE_PORT}
    domains: [${NAME}]
    frontDoor: { httpPort: ${HTTP_PORT}, httpsPort: ${HTTPS_PORT} }
    tls:
      acme: { email: ops@shop.test, directory: "${pebble.directoryUrl}", caBundle: pebble-ca.pem }
    verify:
      security:
        forbiddenPaths: []
        tls: { ca: pebble-roots.pem }
    strategy:
      kind: rolling
      batchSize: 1
      keepWarm: 5m
      drainTimeout: 5s
`,
    );
  }, 180_000);

  afterAll(async () => {
    if (dir) {
      await cli(['agent', 'stop', '--stop-targets']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
    await testbed?.destroy();
    await pebble?.stop();
  }, 120_000);

  /** The certificate the edge host's front door serves for `name` on a new connection, verified against Pebble's root. */
  const served = (name: string): Promise<PeerCertificate> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: edgeAddress, port: HTTPS_PORT, servername: name, ca: roots }, () => {
        const cert = socket.getPeerCertificate();
        socket.end();
        resolve(cert);
      });
      socket.on('error', reject);
    });
  const servedSerial = async (): Promise<string> => (await served(NAME)).serialNumber.toLowerCase();

  /** One request at the edge host's front door: by name (Host, and SNI over HTTPS). */
  const get = async (scheme: 'http' | 'https', name: string) => {
    const port = scheme === 'https' ? HTTPS_PORT : HTTP_PORT;
    const pool = new Pool(`${scheme}://${edgeAddress}:${port}`, {
      connect: scheme === 'https' ? { ca: roots, servername: name } : {},
    });
    try {
      const res = await pool.request({ path: '/', method: 'GET', headers: { host: name } });
      return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
    } finally {
      await pool.close();
    }
  };

  /** `fn` under a bounded load loop by name over HTTPS at the edge, which must see no failed request. */
  const underLoad = async <T>(fn: () => Promise<T>) => {
    const load = startLoad(`https://${edgeAddress}:${HTTPS_PORT}`, {
      concurrency: 4,
      maxRequests: MAX_REQUESTS,
      maxMs: 170_000,
      headers: { host: NAME },
      connect: { ca: roots, servername: NAME },
    });
    await load.warm();
    const result = await fn();
    await new Promise((r) => setTimeout(r, 1000)); // requests on connections opened after the change too
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.total).toBeGreaterThan(20);
    expect(report.total).toBeLessThan(MAX_REQUESTS); // it ran until stopped, across the change
    return { result, report };
  };

  it('obtains the certificate on the edge host at the first deploy and serves the fleet by name with it', async () => {
    expectOk(await cli(['setup', 'production']));
    expectOk(await cli(['release', 'create', '--version', '1.0.0']));
    const plan = expectOk(await cli(['plan', 'production', '--release', '1.0.0'])).stdout;
    expect(plan).toMatch(/edge router of hello@production on h1 .*shop\.test on its front door/);
    expect(plan).toContain(pebble.directoryUrl);

    const deploy = expectOk(await cli(['deploy', 'production', '--release', '1.0.0']));
    // The access probe went where users go: the name, at the edge host, over HTTPS, trusting Pebble's root.
    expect(deploy.stdout).toMatch(
      new RegExp(
        `access: https://shop\\.test:${HTTPS_PORT}/ via ${edgeAddress.replaceAll('.', '\\.')} answered 200`,
      ),
    );
    const cert = await served(NAME);
    expect(cert.issuer.CN).toMatch(/Pebble/i);
    expect(cert.subjectaltname).toBe(`DNS:${NAME}`);
    const page = await get('https', NAME);
    expect(page.status).toBe(200);
    expect(page.body).toContain('hello 1.0.0');
    // Balanced over the fleet: more than one host's target (each says its pid) answers by name.
    const targets = new Set<string>();
    for (let i = 0; i < 9; i++) targets.add((await get('https', NAME)).body);
    expect(targets.size).toBeGreaterThan(1);
    // Once the certificate is served, plain HTTP by name goes to HTTPS.
    const plain = await get('http', NAME);
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe(`https://${NAME}:${HTTPS_PORT}/`);

    // Obtained on the edge host (the account key and the certificate's key made there, 0600), on no other host.
    const [edgeHost, ...others] = testbed.hosts;
    const acme = listFiles(join(edgeHost?.dataDir ?? '', 'agent', 'acme'));
    expect(acme.some((f) => f.endsWith('acme-account-key.pem'))).toBe(true);
    expect(acme.some((f) => f.endsWith('.key'))).toBe(true);
    for (const f of acme) expect(statSync(f).mode & 0o077).toBe(0);
    for (const other of others) expect(listFiles(join(other.dataDir, 'agent', 'acme'))).toEqual([]);
  }, 240_000);

  it('rolls the fleet batch by batch under load by name over HTTPS, keeping the certificate, with 0 failed requests', async () => {
    const before = await servedSerial();
    expectOk(await cli(['release', 'create', '--version', '2.0.0']));
    const { result: deploy, report } = await underLoad(async () =>
      expectOk(await cli(['deploy', 'production', '--release', '2.0.0'])),
    );
    expect(deploy.stdout).toMatch(/batch 1\/3[\s\S]*batch 2\/3[\s\S]*batch 3\/3/);
    expect(report.byRelease['1.0.0']).toBeGreaterThan(0);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);
    expect((await get('https', NAME)).body).toContain('hello 2.0.0');
    // The stored certificate was good: the deploy did not ask the CA again.
    expect(await servedSerial()).toBe(before);
  }, 240_000);

  it('slipway certificates renew serves a new certificate at the edge under load with 0 failed requests', async () => {
    const before = await servedSerial();
    const { result: renewed } = await underLoad(async () =>
      expectOk(await cli(['certificates', 'renew', 'production'])),
    );
    const now = await servedSerial();
    expect(now).not.toBe(before);
    expect((await served(NAME)).issuer.CN).toMatch(/Pebble/i);
    // Asked of the edge's host only, which printed the certificate it replaced and the one it serves now.
    expect(renewed.stdout).toContain(`✔ h1: ${NAME}`);
    expect(renewed.stdout).not.toMatch(/✔ h[23]:/);
    expect(renewed.stdout).toMatch(new RegExp(`was {2}serial ${before} {2}valid until \\d{4}-`));
    expect(renewed.stdout).toMatch(new RegExp(`now {2}serial ${now} {2}valid until \\d{4}-`));
    const history = expectOk(await cli(['history', 'production', '--json', '--limit', '500']));
    const kinds = (JSON.parse(history.stdout) as Array<{ kind: string }>).map((e) => e.kind);
    expect(kinds).toContain('certificate.requested');
    expect(kinds).toContain('certificate.issued');
  }, 240_000);
});

function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(root, e.name)) : [join(root, e.name)],
  );
}
