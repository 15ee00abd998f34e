import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestLeaf, type TestPki } from '../../src/router/test-certificates.js';
import { createTestProject, expectOk, freePort, type TestProject } from '../helpers/project.js';

// Issue 16, "visible and checked", with the real CLI, agent and router process: `slipway plan` shows the route and
// the certificates read on this machine, `slipway status` each certificate's names, issuer and expiry (flagging one
// that expires soon), and `slipway check` fails when another process holds a port of the front door.

interface StatusJson {
  frontDoor: {
    names: string[];
    httpPort: number;
    httpsPort: number;
    hosts: string[];
    certificates: Array<{
      names: string[];
      issuer: string;
      notAfter: string;
      source: string;
      state: string;
      daysLeft: number;
    }>;
  } | null;
  hosts: Array<{ route: { frontDoor?: { certificates: Array<{ file: string }> } } | null }>;
}

const dayOf = (leaf: TestLeaf) => new Date(Date.parse(new X509Certificate(leaf.cert).validTo)).toISOString();

describe('the front door, visible and checked', () => {
  let pki: TestPki;
  let long: TestLeaf;
  let short: TestLeaf;
  let project: TestProject;
  let http: number;
  let https: number;

  beforeAll(async () => {
    pki = createTestPki();
    long = pki.issue('long', ['shop.test'], { days: 90 });
    short = pki.issue('short', ['www.shop.test'], { days: 10 });
    http = await freePort();
    https = await freePort();
    project = await createTestProject();
    project.writeConfig(
      project.config({
        environmentExtra: `    domains: [shop.test, www.shop.test]
    frontDoor: { httpPort: ${http}, httpsPort: ${https}, bindAddress: 127.0.0.1 }
    tls:
      certificates:
        - { cert: ${long.certFile}, key: ${long.keyFile} }
        - { cert: ${short.certFile}, key: ${short.keyFile} }`,
      }),
    );
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
  }, 120_000);

  afterAll(async () => {
    await project?.dispose();
    pki?.remove();
  });

  it('check fails while another process holds a front door port, naming the port and the process', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(http, '127.0.0.1', r));
    try {
      const held = await project.cli(['check', 'production']);
      expect(held.code).not.toBe(0);
      expect(held.stdout).toMatch(
        new RegExp(`fail {2}front door HTTP port ${http} is in use by [^\\n]*\\(pid ${process.pid}\\)`),
      );
      expect(held.stdout).toContain(`ok    front door HTTPS port ${https} is free`);
      expect(held.stderr).toContain('preflight failed on local');
      expect(held.stderr).toContain('give environments.production.frontDoor other ports');
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    const free = expectOk(await project.cli(['check', 'production']));
    expect(free.stdout).toContain(`front door HTTP port ${http} is free`);
  }, 60_000);

  it('plan shows the route and each certificate file with its names and expiry', async () => {
    const text = expectOk(await project.cli(['plan', 'production', '--release', '1.0.0'])).stdout;
    expect(text).toContain(
      `Front door on local (127.0.0.1): shop.test, www.shop.test on HTTP :${http} and HTTPS :${https}`,
    );
    expect(text).toMatch(
      new RegExp(
        `certificate ${long.certFile} \\(key ${long.keyFile}\\): shop\\.test, issuer Slipway Test CA, expires ${dayOf(long).slice(0, 10)} \\(in (89|90) days\\)`,
      ),
    );
    expect(text).toContain(`certificate ${short.certFile} (key ${short.keyFile}): www.shop.test, issuer`);
  }, 60_000);

  it('status shows each certificate the front door serves: names, issuer, expiry, source; one expiring soon is flagged', async () => {
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));

    const text = expectOk(await project.cli(['status', 'production'])).stdout;
    expect(text).toContain(`front door shop.test, www.shop.test  HTTP :${http}, HTTPS :${https} on local`);
    expect(text).toMatch(
      new RegExp(
        `certificate shop\\.test  issuer Slipway Test CA  expires ${dayOf(long).slice(0, 10)} \\(in (89|90) days\\)  files`,
      ),
    );
    expect(text).toMatch(
      /certificate www\.shop\.test {2}issuer Slipway Test CA {2}expires \S+ \(in (9|10) days\), under 14 days: renew the files and deploy again {2}files/,
    );

    const [status] = JSON.parse(expectOk(await project.cli(['status', 'production', '--json'])).stdout) as [
      StatusJson,
    ];
    expect(status.frontDoor).toMatchObject({
      names: ['shop.test', 'www.shop.test'],
      httpPort: http,
      httpsPort: https,
    });
    expect(status.frontDoor?.certificates).toEqual([
      expect.objectContaining({
        names: ['shop.test'],
        issuer: 'CN=Slipway Test CA',
        notAfter: dayOf(long),
        source: 'files',
        state: 'valid',
      }),
      expect.objectContaining({ names: ['www.shop.test'], notAfter: dayOf(short), state: 'expiring' }),
    ]);
    // What the host serves is its own copy of the files, under the agent's home.
    expect(status.hosts[0]?.route?.frontDoor?.certificates[0]?.file).toContain('front-door-certificates');
  }, 120_000);

  it('check passes once the front door is ours', async () => {
    const ours = expectOk(await project.cli(['check', 'production']));
    expect(ours.stdout).toContain(`front door HTTP port ${http} is the front door's (hello@production)`);
    expect(ours.stdout).toContain(`front door HTTPS port ${https} is the front door's (hello@production)`);
    expect(ours.stdout).toContain(
      `port       ${project.port} is held by the slipway agent (router of hello@production)`,
    );
  }, 60_000);
});
