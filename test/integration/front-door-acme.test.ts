import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPebble, type RunningPebble } from '../../src/certificates/test-pebble.js';
import { getByName, servedCertificate } from '../helpers/front-door-project.js';
import { startLoad } from '../helpers/load-loop.js';
import {
  expectOk,
  freePort,
  renderAppSection,
  REPO_ROOT,
  runCli,
  type CliResult,
} from '../helpers/project.js';

// Automatic certificates end to end: the real CLI deploys an environment with `tls.acme` pointed at a real ACME
// CA (Pebble, with pebble-challtestsrv resolving every name to 127.0.0.1), the agent's router process obtains the
// certificate through the front door it just opened (Pebble connects to its HTTP port for HTTP-01), serves it
// by name, renews it on its own timer (Pebble issues 30-second certificates: renewal at two thirds, 20 s) without
// a failed request, and a name the CA cannot validate stops the deploy with the CA's reason.

const VALIDITY_S = 30;
const MAX_REQUESTS = 2_000_000;

describe('tls.acme: certificates obtained and renewed by the front door', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-acme-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'sw-acme-st-'));
  const config = join(dir, 'slipway.yml');
  const cli = (args: string[]): Promise<CliResult> =>
    runCli(['-c', config, '--state-dir', stateDir, ...args]);
  let pebble: RunningPebble;
  let roots: string;
  let http: number;
  let https: number;
  let productionPort: number;
  let stagingPort: number;

  const write = (stagingDomain: string): void =>
    writeFileSync(
      config,
      `${renderAppSection().replace('app: hello', 'app: shop')}environments:
  production:
    publicPort: ${productionPort}
    bindAddress: 127.0.0.1
    domains: [shop.test, www.shop.test]
    frontDoor: { httpPort: ${http}, httpsPort: ${https}, bindAddress: 127.0.0.1 }
    tls:
      acme: { email: ops@shop.test, directory: "${pebble.directoryUrl}", caBundle: pebble-ca.pem }
    strategy: { kind: blue-green, keepWarm: 5m, drainTimeout: 5s }
  staging:
    publicPort: ${stagingPort}
    bindAddress: 127.0.0.1
    domains: [${stagingDomain}]
    frontDoor: { httpPort: ${http}, httpsPort: ${https}, bindAddress: 127.0.0.1 }
    tls:
      acme: { email: ops@shop.test, directory: "${pebble.directoryUrl}", caBundle: pebble-ca.pem }
    strategy: { kind: blue-green, keepWarm: 5m, drainTimeout: 5s }
`,
    );

  beforeAll(async () => {
    http = await freePort();
    https = await freePort();
    productionPort = await freePort();
    stagingPort = await freePort();
    pebble = await startPebble({ httpPort: http, tlsPort: https, validitySeconds: VALIDITY_S });
    roots = (await pebble.management('/roots/0')).body;
    cpSync(join(REPO_ROOT, 'examples', 'hello'), dir, {
      recursive: true,
      filter: (src) => !src.includes('.slipway'),
    });
    writeFileSync(join(dir, 'pebble-ca.pem'), pebble.caBundle);
    write('staging.shop.test');
    for (const version of ['1.0.0', '2.0.0'])
      expectOk(await cli(['release', 'create', '--version', version]));
  }, 120_000);

  afterAll(async () => {
    await cli(['agent', 'stop', '--stop-targets']).catch(() => undefined);
    await pebble?.stop();
    for (const d of [dir, stateDir]) rmSync(d, { recursive: true, force: true });
  });

  /** The certificate the front door serves for `name` (verified against Pebble's root). */
  const served = (name: string): Promise<PeerCertificate> => servedCertificate(https, name, roots);
  const get = (scheme: 'http' | 'https', host: string) =>
    getByName({ scheme, port: scheme === 'http' ? http : https, ca: roots }, host);

  it('obtains a certificate at the first deploy and serves the names over HTTPS', async () => {
    expectOk(await cli(['deploy', 'production', '--release', '1.0.0']));
    const cert = await served('shop.test');
    expect(cert.issuer.CN).toMatch(/Pebble/i);
    expect(cert.subjectaltname).toContain('DNS:shop.test');
    expect(cert.subjectaltname).toContain('DNS:www.shop.test');
    const page = await get('https', 'www.shop.test');
    expect(page.status).toBe(200);
    expect(page.body).toContain('hello 1.0.0');
    // Once a certificate is served, the plain port sends the names to HTTPS.
    expect((await get('http', 'shop.test')).status).toBe(308);
    // Kept in the agent's home, readable by its user only: the key never leaves the host.
    const acmeDir = join(stateDir, 'agent', 'acme');
    const files = listFiles(acmeDir);
    expect(files.some((f) => f.endsWith('acme-account-key.pem'))).toBe(true);
    expect(files.some((f) => f.endsWith('.key'))).toBe(true);
    for (const f of files) expect(statSync(f).mode & 0o077).toBe(0);
  }, 120_000);

  it('deploys again with the stored certificate, and renews it on its own under load with 0 failed requests', async () => {
    const before = await served('shop.test');
    const load = startLoad(`https://127.0.0.1:${https}`, {
      headers: { host: 'shop.test' },
      connect: { ca: roots, servername: 'shop.test' },
      concurrency: 2,
      maxRequests: MAX_REQUESTS,
      maxMs: 90_000,
    });
    expectOk(await cli(['deploy', 'production', '--release', '2.0.0']));
    // The deploy did not ask the CA again (the stored certificate was good): only the timer renews it.
    let now = await served('shop.test');
    const deadline = Date.now() + VALIDITY_S * 1000 + 15_000;
    while (now.serialNumber === before.serialNumber && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      now = await served('shop.test');
    }
    await new Promise((r) => setTimeout(r, 1000)); // requests on the new certificate's connections too
    const report = await load.stop();
    expect(now.serialNumber).not.toBe(before.serialNumber);
    expect(report.total).toBeLessThan(MAX_REQUESTS); // the loop ran until stopped, across the swap
    expect(Date.parse(now.valid_to)).toBeGreaterThan(Date.parse(before.valid_to));
    expect(report.failed).toBe(0);
    expect(report.total).toBeGreaterThan(20);
    expect((await get('https', 'shop.test')).body).toContain('hello 2.0.0');
    // The renewal is in the ledger (copied from the router process's journal by the next command).
    const history = expectOk(await cli(['history', 'production', '--json']));
    expect(history.stdout).toContain('certificate.issued');
  }, 120_000);

  it('a name the CA cannot validate stops the deploy with the CA’s reason; production keeps serving', async () => {
    await pebble.dnsControl('/set-servfail', { host: 'broken.shop.test.' });
    write('broken.shop.test');
    const load = startLoad(`https://127.0.0.1:${https}`, {
      headers: { host: 'shop.test' },
      connect: { ca: roots, servername: 'shop.test' },
      concurrency: 2,
      maxRequests: MAX_REQUESTS,
      maxMs: 90_000,
    });
    const failed = await cli(['deploy', 'staging', '--release', '1.0.0']);
    const report = await load.stop();
    expect(failed.code).not.toBe(0);
    expect(failed.stderr + failed.stdout).toMatch(/no certificate for broken\.shop\.test/);
    expect(failed.stderr + failed.stdout).toMatch(/DNS|SERVFAIL|dns/);
    expect(report.failed).toBe(0);
    expect((await get('https', 'shop.test')).status).toBe(200);
  }, 180_000);
});

function listFiles(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(root, e.name)) : [join(root, e.name)],
  );
}
