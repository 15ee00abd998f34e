import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../src/router/test-certificates.js';
import { openSqliteStore } from '../../src/store/index.js';
import {
  expectOk,
  freePort,
  renderAppSection,
  REPO_ROOT,
  runCli,
  type CliResult,
} from '../helpers/project.js';

// The access probe and verify.security.tls over the front door's HTTPS, by name: the real CLI, one real agent and
// router process, real targets (examples/hello), certificates of a test CA made with openssl. The names resolve
// nowhere: the probe and the checks connect to the front door's address and ask for the name (SNI and Host).

describe('the access probe and verify.security.tls on the front door', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-fdp-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'sw-st-'));
  let pki: TestPki;
  let http: number;
  let https: number;
  const ports: Record<string, number> = {};
  const cli = (args: string[]): Promise<CliResult> =>
    runCli(['-c', join(dir, 'slipway.yml'), '--state-dir', stateDir, ...args]);

  const environment = (name: string, domain: string, cert: string, verify: string) => `  ${name}:
    publicPort: ${ports[name]}
    bindAddress: 127.0.0.1
    domains: [${domain}]
    frontDoor: { httpPort: ${http}, httpsPort: ${https}, bindAddress: 127.0.0.1 }
    tls:
      certificates:
        - { cert: ${pki.dir}/${cert}.pem, key: ${pki.dir}/${cert}.key }
    strategy: { kind: blue-green, keepWarm: 5m, drainTimeout: 2s }
${verify}`;
  // The test CA is trusted through verification's trust setting, which the access probe shares.
  const trusted = () => `    verify:
      security:
        forbiddenPaths: []
        tls: { minDaysValid: 14, ca: ${pki.caFile} }
`;

  beforeAll(async () => {
    pki = createTestPki();
    pki.issue('shop', ['shop.test', 'www.shop.test'], { days: 60 });
    pki.issue('staging', ['staging.shop.test'], { days: 10 });
    pki.issue('preview', ['preview.shop.test'], { days: 60 });
    http = await freePort();
    https = await freePort();
    for (const name of ['production', 'staging', 'preview']) ports[name] = await freePort();
    cpSync(join(REPO_ROOT, 'examples', 'hello'), dir, {
      recursive: true,
      filter: (src) => !src.includes('.slipway'),
    });
    writeFileSync(
      join(dir, 'slipway.yml'),
      `${renderAppSection().replace('app: hello', 'app: shop')}environments:
${environment('production', 'shop.test, www.shop.test', 'shop', trusted())}${environment('staging', 'staging.shop.test', 'staging', trusted())}${environment('preview', 'preview.shop.test', 'preview', '')}`,
    );
    expectOk(await cli(['release', 'create', '--version', '1.0.0']));
  }, 120_000);

  afterAll(async () => {
    await cli(['agent', 'stop', '--stop-targets']);
    for (const d of [dir, stateDir]) rmSync(d, { recursive: true, force: true });
    pki?.remove();
  });

  it('probes the first name over HTTPS on the front door and checks the certificate of each name', async () => {
    const plan = expectOk(await cli(['plan', 'production', '--release', '1.0.0'])).stdout;
    expect(plan).toContain(
      `TLS ≥ TLSv1.2, certificate valid 14+ days for shop.test, www.shop.test on the front door 127.0.0.1:${https}`,
    );
    const deploy = expectOk(await cli(['deploy', 'production', '--release', '1.0.0']));
    expect(deploy.stdout).toMatch(
      new RegExp(`access: https://shop\\.test:${https}/ via 127\\.0\\.0\\.1 answered 200 in [\\d.]+ms`),
    );
    expect(deploy.stdout).toMatch(/verify 1\.0\.0 in production on control-plane \(\d+ms\) 2 checks passed/);
    // What the verification checked: the certificate each name gets from the front door.
    const store = await openSqliteStore(join(stateDir, 'slipway.db'));
    const latest = await store
      .latestVerification({ app: 'shop', environment: 'production', release: '1.0.0' })
      .finally(() => store.close());
    expect(latest?.checks.map((c) => `${c.name}: ${c.passed ? c.message : `FAIL ${c.message}`}`)).toEqual(
      ['shop.test', 'www.shop.test'].map(
        (name) =>
          `tls ${name}:${https} (front door at 127.0.0.1): TLSv1.3, certificate for ${name} valid 59 more days`,
      ),
    );

    // The monitor's probe is the same: by name, over HTTPS, trusting the same CA.
    const round = JSON.parse(
      expectOk(await cli(['monitor', 'production', '--once', '--json']))
        .stdout.trim()
        .split('\n')[0]!,
    ) as { probe: { url: string; via: string; ok: boolean; status: number; tls: { subject: string } } };
    expect(round.probe).toMatchObject({
      url: `https://shop.test:${https}/`,
      via: '127.0.0.1',
      ok: true,
      status: 200,
      tls: { subject: 'shop.test' },
    });

    // `slipway verify` finds what serves the environment under its own route key (shop@production).
    const verify = expectOk(await cli(['verify', 'production']));
    expect(verify.stdout).toContain('1.0.0');
    expect(verify.stdout).toContain(`tls shop.test:${https} (front door at 127.0.0.1)`);
  }, 120_000);

  it('fails verification for a certificate that expires within minDaysValid, naming the name and the days', async () => {
    const deploy = await cli(['deploy', 'staging', '--release', '1.0.0']);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain(
      `verification of 1.0.0 in staging failed: security tls staging.shop.test:${https} (front door at 127.0.0.1): certificate expires in 9 days (at least 14 required)`,
    );
  }, 120_000);

  it('says why a certificate of a CA nothing trusts is refused, and how to trust it', async () => {
    const deploy = expectOk(await cli(['deploy', 'preview', '--release', '1.0.0']));
    expect(deploy.stdout).toContain(
      `access: https://preview.shop.test:${https}/ via 127.0.0.1 does not answer as expected: certificate not accepted: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE) (a private CA is trusted through verify.security.tls.ca)`,
    );
    // The environment's own port still serves, over plain HTTP.
    expect(await (await fetch(`http://127.0.0.1:${ports.preview}/`)).text()).toContain('hello 1.0.0');
  }, 120_000);
});
