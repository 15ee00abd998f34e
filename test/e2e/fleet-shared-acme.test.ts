import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPebble, type RunningPebble } from '../../src/certificates/test-pebble.js';
import { startLoad } from '../helpers/load-loop.js';
import { expectOk, renderAppSection, REPO_ROOT, runCli, type CliResult } from '../helpers/project.js';
import { createTestbed, type Testbed, type TestHost } from '../testbed/testbed.js';

// A fleet behind one name with one certificate from a real ACME CA and no edge (issue 16 item 3): three testbed
// hosts (network namespaces with their own address and sshd) each run the app and a front door for `shop.test`
// with `tls.acme`. The control plane orders the certificate (HTTP-01 answered by every host's front door, so by
// whichever the CA reaches), keeps it under its state directory and sends it to every host over SSH. Pebble runs
// in the root namespace on the testbed's bridge address; its DNS (pebble-challtestsrv) resolves shop.test to h2 (not
// the first host), later to h3, so validation really goes through a host other than the first.

const APP_PORT = 8420;
const HTTP_PORT = 8480;
const HTTPS_PORT = 8443;
const NAME = 'shop.test';
const MAX_REQUESTS = 2_000_000;

describe('a fleet without an edge shares one ACME certificate obtained by the control plane', () => {
  let testbed: Testbed;
  let pebble: RunningPebble;
  /** Pebble's root: what the certificates it issues chain to. */
  let roots: string;
  let dir: string;
  let hosts: TestHost[];
  const cli = (args: string[]): Promise<CliResult> => runCli(['-c', join(dir, 'slipway.yml'), ...args]);
  const pointNameAt = async (address: string): Promise<void> => {
    await pebble.dnsControl('/clear-a', { host: `${NAME}.` });
    await pebble.dnsControl('/add-a', { host: `${NAME}.`, addresses: [address] });
  };

  beforeAll(async () => {
    testbed = await createTestbed({ hosts: 3, name: 'fleetshared' });
    hosts = [...testbed.hosts];
    const [h1, h2] = hosts;
    if (!h1 || !h2 || hosts.length !== 3) throw new Error('the testbed has not three hosts');
    // The root namespace's address on the testbed's bridge (10.231.<slot>.1): the hosts reach it, nothing else.
    const bridgeAddress = h1.address.replace(/\.\d+$/, '.1');
    pebble = await startPebble({ httpPort: HTTP_PORT, tlsPort: HTTPS_PORT, listenAddress: bridgeAddress });
    roots = (await pebble.management('/roots/0')).body;
    await pointNameAt(h2.address);

    dir = mkdtempSync(join(tmpdir(), 'sw-fsa-'));
    cpSync(join(REPO_ROOT, 'examples', 'hello'), dir, {
      recursive: true,
      filter: (src) => !src.includes('.slipway'),
    });
    writeFileSync(join(dir, 'pebble-ca.pem'), pebble.caBundle);
    writeFileSync(join(dir, 'pebble-roots.pem'), roots);
    const host = (h: { name: string; address: string }, indent: string) =>
      `name: ${h.name}\n${indent}address: ${h.address}\n${indent}user: root\n${indent}identityFile: ${testbed.clientKeyPath}`;
    const hostList = hosts.map((h) => `      - ${host(h, '        ')}`).join('\n');
    writeFileSync(
      join(dir, 'slipway.yml'),
      `${renderAppSection({ healthStartTimeout: '15s' })}environments:
  production:
    hosts:
${hostList}
    publicPort: ${APP_PORT}
    ssh:
      knownHosts: ${testbed.knownHostsPath}
      connectTimeout: 3s
    domains: [${NAME}]
    frontDoor: { httpPort: ${HTTP_PORT}, httpsPort: ${HTTPS_PORT} }
    tls:
      acme: { email: ops@shop.test, directory: "${pebble.directoryUrl}", caBundle: pebble-ca.pem }
    verify:
      security:
        forbiddenPaths: []
        tls: { ca: pebble-roots.pem }
    strategy:
      kind: blue-green
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

  /** The certificate `address`'s front door serves for `name` on a new connection, verified against Pebble's root. */
  const served = (address: string, name = NAME): Promise<PeerCertificate> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: address, port: HTTPS_PORT, servername: name, ca: roots }, () => {
        const cert = socket.getPeerCertificate();
        socket.end();
        resolve(cert);
      });
      socket.setTimeout(10_000, () => socket.destroy(new Error(`no TLS handshake with ${address} in 10s`)));
      socket.on('error', reject);
    });
  /** The serial each host serves (h1, h2, h3 in order). */
  const servedSerials = async (): Promise<string[]> =>
    Promise.all(hosts.map(async (h) => (await served(h.address)).serialNumber.toLowerCase()));
  /** The one serial all three hosts serve. */
  const sharedSerial = async (): Promise<string> => {
    const serials = await servedSerials();
    expect(new Set(serials).size, `serials served by h1, h2, h3: ${serials.join(', ')}`).toBe(1);
    return serials[0] ?? '';
  };

  /** One request by name over HTTPS at `address`'s front door. */
  const get = async (address: string) => {
    const pool = new Pool(`https://${address}:${HTTPS_PORT}`, { connect: { ca: roots, servername: NAME } });
    try {
      const res = await pool.request({ path: '/', method: 'GET', headers: { host: NAME } });
      return { status: res.statusCode, body: await res.body.text() };
    } finally {
      await pool.close();
    }
  };

  const certStatus = async (serial: string): Promise<string> => {
    const res = await pebble.management(`/cert-status-by-serial/${serial}`);
    return (JSON.parse(res.body) as { Status: string }).Status;
  };

  /** `fn` under a bounded load loop by name over HTTPS at h1's front door, which must see no failed request. */
  const underLoad = async <T>(fn: () => Promise<T>) => {
    const load = startLoad(`https://${hosts[0]?.address ?? ''}:${HTTPS_PORT}`, {
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

  const historyKinds = async (): Promise<string[]> => {
    const history = expectOk(await cli(['history', 'production', '--json', '--limit', '500']));
    return (JSON.parse(history.stdout) as Array<{ kind: string }>).map((e) => e.kind);
  };

  it('plans the certificate on the control plane and, at the first deploy, every host serves the same one', async () => {
    expectOk(await cli(['setup', 'production']));
    expectOk(await cli(['release', 'create', '--version', '1.0.0']));
    const plan = expectOk(await cli(['plan', 'production', '--release', '1.0.0'])).stdout;
    expect(plan).toContain('HTTP-01 answered by the front door of h1, h2, h3');
    expect(plan).toContain(pebble.directoryUrl);

    expectOk(await cli(['deploy', 'production', '--release', '1.0.0']));
    const serial = await sharedSerial();
    expect(serial).toMatch(/^[0-9a-f]+$/);
    for (const h of hosts) {
      const cert = await served(h.address);
      expect(cert.issuer.CN, h.name).toMatch(/Pebble/i);
      expect(cert.subjectaltname, h.name).toBe(`DNS:${NAME}`);
      const page = await get(h.address);
      expect(page.status, h.name).toBe(200);
      expect(page.body, h.name).toContain('hello 1.0.0');
    }
    // No host ordered one: no ACME directory (account or certificates) on any of them.
    for (const h of hosts) expect(existsSync(join(h.dataDir, 'agent', 'acme')), h.name).toBe(false);
    // The control plane keeps the certificate and the account key, 0600.
    const kept = listFiles(join(dir, '.slipway', 'certificates'));
    expect(kept.some((f) => f.endsWith('acme-account-key.pem'))).toBe(true);
    expect(kept.some((f) => f.endsWith('.json'))).toBe(true);
    for (const f of kept) expect(statSync(f).mode & 0o077, f).toBe(0);
    expect(await historyKinds()).toContain('certificate.issued');
  }, 240_000);

  it('deploys another release under load by name with 0 failed requests, sending the stored certificate', async () => {
    const before = await sharedSerial();
    const issuedBefore = (await historyKinds()).filter((k) => k === 'certificate.issued').length;
    expectOk(await cli(['release', 'create', '--version', '2.0.0']));
    const { report } = await underLoad(async () =>
      expectOk(await cli(['deploy', 'production', '--release', '2.0.0'])),
    );
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);
    for (const h of hosts) expect((await get(h.address)).body, h.name).toContain('hello 2.0.0');
    // The stored certificate was sent: not ordered again.
    expect(await sharedSerial()).toBe(before);
    expect((await historyKinds()).filter((k) => k === 'certificate.issued').length).toBe(issuedBefore);
  }, 240_000);

  it('slipway certificates renew serves a new certificate on every host under load with 0 failed requests', async () => {
    const before = await sharedSerial();
    const issuedBefore = (await historyKinds()).filter((k) => k === 'certificate.issued').length;
    const { result: renewed } = await underLoad(async () =>
      expectOk(await cli(['certificates', 'renew', 'production'])),
    );
    const now = await sharedSerial();
    expect(now).not.toBe(before);
    expect((await served(hosts[2]?.address ?? '')).issuer.CN).toMatch(/Pebble/i);
    for (const h of hosts) expect(renewed.stdout).toContain(`✔ ${h.name}: ${NAME}`);
    expect(renewed.stdout).toMatch(new RegExp(`now {2}serial ${now} {2}valid until \\d{4}-`, 'i'));
    const issuedAfter = (await historyKinds()).filter((k) => k === 'certificate.issued').length;
    expect(issuedAfter).toBe(issuedBefore + 1);
  }, 240_000);

  it('renews with --revoke through h3 once the name points there: a new certificate everywhere, the old one revoked', async () => {
    const [, , h3] = hosts;
    await pointNameAt(h3?.address ?? '');
    const before = await sharedSerial();
    const renewed = expectOk(await cli(['certificates', 'renew', 'production', '--revoke']));
    expect(renewed.stdout).toContain('(revoked)');
    const now = await sharedSerial();
    expect(now).not.toBe(before);
    expect(await certStatus(before)).toBe('Revoked');
    expect(await certStatus(now)).toBe('Valid');
    for (const h of hosts) expect((await get(h.address)).status, h.name).toBe(200);
    for (const h of hosts) expect(existsSync(join(h.dataDir, 'agent', 'acme')), h.name).toBe(false);
  }, 240_000);

  it('a renewal the CA cannot validate (the name points where no front door is) fails and the hosts keep serving', async () => {
    const before = await sharedSerial();
    // The bridge's address in the root namespace: nothing listens on the front door's HTTP port there.
    await pointNameAt((hosts[0]?.address ?? '').replace(/\.\d+$/, '.1'));
    const renewed = await cli(['certificates', 'renew', 'production']);
    expect(renewed.code, renewed.stdout + renewed.stderr).not.toBe(0);
    expect(renewed.stdout + renewed.stderr).toContain(
      'the CA must reach the front door of one of h1, h2, h3',
    );
    expect(await sharedSerial()).toBe(before);
    for (const h of hosts) expect((await get(h.address)).status, h.name).toBe(200);
    expect(await historyKinds()).toContain('certificate.failed');
  }, 120_000);
});

function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(root, e.name)) : [join(root, e.name)],
  );
}
