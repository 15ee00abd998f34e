import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../src/router/test-certificates.js';
import { startLoad } from '../helpers/load-loop.js';
import { expectOk, renderAppSection, REPO_ROOT, runCli, type CliResult } from '../helpers/project.js';
import { createTestbed, type Testbed } from '../testbed/testbed.js';

// A fleet behind one name (issue 16): three testbed hosts (network namespaces with their own address and sshd)
// run the app; the edge runs on the first of them, and so does the front door for `shop.test`, with a
// certificate of a test CA read on this machine and sent over SSH. Users reach the whole fleet by name over HTTPS
// at the edge host's address while it is updated batch by batch.

const APP_PORT = 8420;
const EDGE_PORT = 8440;
const HTTP_PORT = 8480;
const HTTPS_PORT = 8443;

describe('a fleet behind one name: domains with an edge, on a testbed of 3 hosts', () => {
  let testbed: Testbed;
  let pki: TestPki;
  let dir: string;
  let edgeAddress: string;
  const cli = (args: string[]): Promise<CliResult> => runCli(['-c', join(dir, 'slipway.yml'), ...args]);

  beforeAll(async () => {
    testbed = await createTestbed({ hosts: 3, name: 'fleetdoor' });
    pki = createTestPki();
    pki.issue('shop', ['shop.test']);
    dir = mkdtempSync(join(tmpdir(), 'sw-ffd-'));
    cpSync(join(REPO_ROOT, 'examples', 'hello'), dir, {
      recursive: true,
      filter: (src) => !src.includes('.slipway'),
    });
    const [edgeHost] = testbed.hosts;
    if (!edgeHost) throw new Error('the testbed has no host');
    edgeAddress = edgeHost.address;
    const host = (h: { name: string; address: string }, indent: string) =>
      `name: ${h.name}\n${indent}address: ${h.address}\n${indent}user: root\n${indent}identityFile: ${testbed.clientKeyPath}`;
    const hosts = testbed.hosts.map((h) => `      - ${host(h, '        ')}`).join('\n');
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
    domains: [shop.test]
    frontDoor: { httpPort: ${HTTP_PORT}, httpsPort: ${HTTPS_PORT} }
    tls:
      certificates:
        - { cert: ${pki.dir}/shop.pem, key: ${pki.dir}/shop.key }
    strategy:
      kind: rolling
      batchSize: 1
      keepWarm: 5m
      drainTimeout: 5s
`,
    );
  }, 120_000);

  afterAll(async () => {
    if (dir) {
      await cli(['agent', 'stop', '--stop-targets']);
      rmSync(dir, { recursive: true, force: true });
    }
    await testbed?.destroy();
    pki?.remove();
  }, 120_000);

  /** One request at the edge host's front door: by name (Host, and SNI over HTTPS). */
  const get = async (scheme: 'http' | 'https', host: string) => {
    const port = scheme === 'https' ? HTTPS_PORT : HTTP_PORT;
    const pool = new Pool(`${scheme}://${edgeAddress}:${port}`, {
      connect: scheme === 'https' ? { ca: pki.ca, servername: host } : {},
    });
    try {
      const res = await pool.request({ path: '/', method: 'GET', headers: { host } });
      return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
    } finally {
      await pool.close();
    }
  };

  it('plans the names on the edge host only, and serves the whole fleet by name over HTTPS', async () => {
    expectOk(await cli(['setup', 'production']));
    expectOk(await cli(['release', 'create', '--version', '1.0.0']));
    const plan = expectOk(await cli(['plan', 'production', '--release', '1.0.0'])).stdout;
    expect(plan).toMatch(/edge router of hello@production on h1 .*shop\.test on its front door/);
    expect(plan).not.toMatch(/router of hello@production listens on .* on h\d; shop\.test/);

    expectOk(await cli(['deploy', 'production', '--release', '1.0.0']));
    const page = await get('https', 'shop.test');
    expect(page.status).toBe(200);
    expect(page.body).toContain('hello 1.0.0');
    // Balanced over the fleet: more than one host's target (each says its pid) answers by name.
    const targets = new Set<string>();
    for (let i = 0; i < 9; i++) targets.add((await get('https', 'shop.test')).body);
    expect(targets.size).toBeGreaterThan(1);
  });

  it('answers an unknown name 404 and sends plain HTTP by name to HTTPS (308)', async () => {
    expect((await get('http', 'nobody.test')).status).toBe(404);
    const plain = await get('http', 'shop.test');
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe(`https://shop.test:${HTTPS_PORT}/`);
    // An app host has no front door of its own for the environment: its routes are the edge's upstreams.
    const pool = new Pool(`http://${testbed.hosts[1]?.address}:${HTTP_PORT}`);
    try {
      await expect(
        pool.request({ path: '/', method: 'GET', headers: { host: 'shop.test' } }),
      ).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await pool.close();
    }
  });

  it('rolls the fleet batch by batch under load by name over HTTPS with no failed request', async () => {
    expectOk(await cli(['release', 'create', '--version', '2.0.0']));
    const load = startLoad(`https://${edgeAddress}:${HTTPS_PORT}`, {
      concurrency: 4,
      maxMs: 150_000,
      headers: { host: 'shop.test' },
      connect: { ca: pki.ca, servername: 'shop.test' },
    });
    await load.warm();
    const deploy = expectOk(await cli(['deploy', 'production', '--release', '2.0.0']));
    const report = await load.stop();
    expect(deploy.stdout).toMatch(/batch 1\/3[\s\S]*batch 2\/3[\s\S]*batch 3\/3/);
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.byRelease['1.0.0']).toBeGreaterThan(0);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);
    expect((await get('https', 'shop.test')).body).toContain('hello 2.0.0');
  });
});
