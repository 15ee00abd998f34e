import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostRenewal } from '../../src/operations/renew-certificates.js';
import { startPebble, type RunningPebble } from '../../src/certificates/test-pebble.js';
import { servedCertificate } from '../helpers/front-door-project.js';
import { startLoad } from '../helpers/load-loop.js';
import {
  expectOk,
  freePort,
  renderAppSection,
  REPO_ROOT,
  runCli,
  type CliResult,
} from '../helpers/project.js';

// An operator's `slipway certificates renew` end to end: the real CLI deploys an environment with `tls.acme` from a
// real ACME CA (Pebble, its default validity: the stored certificate is good for years), then asks the router
// process for a new certificate now, and then to revoke the one it serves at the CA and replace it, while a load
// loop by name over HTTPS runs: each new certificate is served for new handshakes, without a failed request, and
// Pebble reports the old one revoked. An environment whose certificates do not come from ACME is refused (exit 2).

const MAX_REQUESTS = 2_000_000;

describe('slipway certificates renew: a new ACME certificate now, or the old one revoked and replaced', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-acme-revoke-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'sw-acme-revoke-st-'));
  const config = join(dir, 'slipway.yml');
  const cli = (args: string[]): Promise<CliResult> =>
    runCli(['-c', config, '--state-dir', stateDir, ...args]);
  let pebble: RunningPebble;
  let roots: string;
  let https: number;

  beforeAll(async () => {
    const http = await freePort();
    https = await freePort();
    const [productionPort, legacyPort] = [await freePort(), await freePort()];
    pebble = await startPebble({ httpPort: http, tlsPort: https });
    roots = (await pebble.management('/roots/0')).body;
    cpSync(join(REPO_ROOT, 'examples', 'hello'), dir, {
      recursive: true,
      filter: (src) => !src.includes('.slipway'),
    });
    writeFileSync(join(dir, 'pebble-ca.pem'), pebble.caBundle);
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
  legacy:
    publicPort: ${legacyPort}
    bindAddress: 127.0.0.1
`,
    );
    expectOk(await cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await cli(['deploy', 'production', '--release', '1.0.0']));
  }, 180_000);

  afterAll(async () => {
    await cli(['agent', 'stop', '--stop-targets']).catch(() => undefined);
    await pebble?.stop();
    for (const d of [dir, stateDir]) rmSync(d, { recursive: true, force: true });
  });

  /** The certificate the front door serves for `name` on a new connection (verified against Pebble's root). */
  const served = (name: string): Promise<PeerCertificate> => servedCertificate(https, name, roots);
  const servedSerial = async (): Promise<string> => (await served('shop.test')).serialNumber.toLowerCase();

  const certStatus = async (serial: string): Promise<string> => {
    const res = await pebble.management(`/cert-status-by-serial/${serial}`);
    return (JSON.parse(res.body) as { Status: string }).Status;
  };

  /** `fn` under a bounded load loop by name over HTTPS, which must see no failed request. */
  const underLoad = async <T>(fn: () => Promise<T>): Promise<T> => {
    const load = startLoad(`https://127.0.0.1:${https}`, {
      headers: { host: 'shop.test' },
      connect: { ca: roots, servername: 'shop.test' },
      concurrency: 2,
      maxRequests: MAX_REQUESTS,
      maxMs: 120_000,
    });
    await new Promise((r) => setTimeout(r, 300)); // connections open on the old certificate
    const result = await fn();
    await new Promise((r) => setTimeout(r, 1000)); // and requests on the new one's connections too
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.total).toBeLessThan(MAX_REQUESTS); // it ran until stopped, across the swap
    expect(report.total).toBeGreaterThan(20);
    return result;
  };

  it('renews the certificate now although it is good for years, under load with 0 failed requests', async () => {
    const before = await servedSerial();
    const renewed = await underLoad(async () => expectOk(await cli(['certificates', 'renew', 'production'])));
    const now = await servedSerial();
    expect(now).not.toBe(before);
    // Per host: the certificate it replaced and the one it serves now, with their expiry.
    expect(renewed.stdout).toContain('✔ local: shop.test, www.shop.test');
    expect(renewed.stdout).toMatch(new RegExp(`was {2}serial ${before} {2}valid until \\d{4}-`));
    expect(renewed.stdout).toMatch(new RegExp(`now {2}serial ${now} {2}valid until \\d{4}-`));
    expect(await certStatus(before)).toBe('Valid'); // renewed, not revoked
  }, 180_000);

  it('revokes the certificate at the CA and serves a replacement, under load with 0 failed requests', async () => {
    const before = await servedSerial();
    const result = await underLoad(async () =>
      expectOk(
        await cli(['certificates', 'renew', 'production', '--revoke', '--reason', 'keyCompromise', '--json']),
      ),
    );
    const { hosts } = JSON.parse(result.stdout) as { hosts: HostRenewal[] };
    expect(hosts).toHaveLength(1);
    const [local] = hosts;
    if (!local?.ok) throw new Error(`no renewal: ${JSON.stringify(local)}`);
    expect(local.key).toBe('shop@production');
    expect(local.renewal.revoked).toBe(true);
    expect(local.renewal.previous?.serial).toBe(before);
    const now = await servedSerial();
    expect(now).toBe(local.renewal.current.serial);
    expect(now).not.toBe(before);
    expect(await certStatus(before)).toBe('Revoked');
    expect(await certStatus(now)).toBe('Valid');

    // In the ledger: who asked, the revocation and the replacement (copied from the router process's journal).
    const history = expectOk(await cli(['history', 'production', '--json', '--limit', '500']));
    const events = JSON.parse(history.stdout) as Array<{ kind: string; message: string; actor: string }>;
    const kinds = events.map((e) => e.kind);
    expect(kinds).toContain('certificate.revoked');
    expect(kinds).toContain('certificate.requested');
    const revoked = events.find((e) => e.kind === 'certificate.revoked');
    expect(revoked?.message).toContain(before);
    expect(revoked?.message).toContain('keyCompromise');
    const issued = events.filter((e) => e.kind === 'certificate.issued').map((e) => e.message);
    expect(issued.some((m) => / obtained from /.test(m))).toBe(true); // at the first deploy
    expect(issued.some((m) => /renewed ahead of time .*requested by/.test(m))).toBe(true);
    expect(
      issued.some((m) => m.includes(`certificate ${now} `) && m.includes('in place of the revoked one')),
    ).toBe(true);
    const requested = events.filter((e) => e.kind === 'certificate.requested');
    expect(requested.map((e) => e.actor)).not.toContain('agent@local');
    expect(requested.some((e) => e.message.includes('revoked (keyCompromise)'))).toBe(true);
  }, 180_000);

  it('refuses an environment without tls.acme, and a reason without --revoke (exit 2)', async () => {
    const legacy = await cli(['certificates', 'renew', 'legacy']);
    expect(legacy.code).toBe(2);
    expect(legacy.stderr).toMatch(/legacy has no domains/);
    expect(legacy.stderr).toMatch(/tls: \{ acme/);
    const reason = await cli(['certificates', 'renew', 'production', '--reason', 'superseded']);
    expect(reason.code).toBe(2);
    expect(reason.stderr).toMatch(/--reason .* goes with --revoke/);
    const unknown = await cli(['certificates', 'renew', 'nope']);
    expect(unknown.code).toBe(2);
  }, 60_000);
});
