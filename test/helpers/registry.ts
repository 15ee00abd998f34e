import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './project.js';

// A real registry for one test file: Debian's `docker-registry` (Distribution 2.8) with htpasswd auth (bcrypt,
// made by apache2-utils' htpasswd) and TLS from a test CA made here with openssl, its storage in a temp dir,
// deletes enabled (a test removes a manifest through the API). Stopped by its pid. A private CA is trusted by a
// Docker Engine through /etc/docker/certs.d/<host:port>/ca.crt: `trustOnThisMachine` writes it (the testbed's
// hosts share the machine's /etc) and `stop` removes it.

export interface TestRegistry {
  /** host:port, as slipway.yml's runtime.registry.server. */
  server: string;
  /** PEM of the test CA that signed the registry's certificate. */
  caPem: string;
  username: string;
  password: string;
  /** Writes the CA to /etc/docker/certs.d/<server>/ca.crt, which every engine of this machine reads. */
  trustOnThisMachine(): void;
  /** DELETE of a manifest through the registry API (as its user); the status code. */
  deleteManifest(repository: string, digest: string): Promise<number>;
  /** HEAD of a manifest as its user: 200 present, 404 missing. */
  manifestStatus(repository: string, reference: string): Promise<number>;
  /** Stops the registry by pid and removes its directory and the certs.d entry. */
  stop(): Promise<void>;
}

const REGISTRY_BIN = '/usr/bin/docker-registry';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** A CA and a server certificate for `address` (an IP) signed by it, in `dir`. */
function makeCertificates(dir: string, address: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '7',
      '-subj',
      '/CN=slipway-test-registry-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=registry',
      '-keyout',
      'key.pem',
      '-out',
      'req.csr',
    ],
    dir,
  );
  writeFileSync(
    join(dir, 'ext.cnf'),
    `subjectAltName=IP:${address}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'req.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '7',
      '-extfile',
      'ext.cnf',
      '-out',
      'cert.pem',
    ],
    dir,
  );
}

/** Starts the registry on `address` (default loopback). Fails loudly when it cannot: CI installs docker-registry. */
export async function startRegistry(
  options: { address?: string; username?: string; password?: string } = {},
): Promise<TestRegistry> {
  const address = options.address ?? '127.0.0.1';
  const username = options.username ?? 'ci-pusher';
  const password = options.password ?? `pw-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), 'sw-reg-'));
  const port = await freePort();
  const server = `${address}:${port}`;
  const certsDir = `/etc/docker/certs.d/${server}`;
  let child: ChildProcess | null = null;
  const stop = async (): Promise<void> => {
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise<void>((r) => child?.once('exit', () => r()));
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    rmSync(certsDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    makeCertificates(dir, address);
    const htpasswd = execFileSync('htpasswd', ['-nbB', username, password], { encoding: 'utf8' }).trim();
    writeFileSync(join(dir, 'htpasswd'), `${htpasswd}\n`);
    mkdirSync(join(dir, 'data'));
    writeFileSync(
      join(dir, 'config.yml'),
      `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: ${server}
  tls:
    certificate: ${join(dir, 'cert.pem')}
    key: ${join(dir, 'key.pem')}
auth:
  htpasswd:
    realm: slipway-test
    path: ${join(dir, 'htpasswd')}
`,
    );
    child = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr: string[] = [];
    child.stderr?.on('data', (d: Buffer) => {
      stderr.push(d.toString());
      if (stderr.length > 100) stderr.shift();
    });
    child.once('error', (err) => stderr.push(String(err)));
    const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
    const call = (method: string, path: string, auth = true): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(
          `https://${server}${path}`,
          {
            method,
            ca: caPem,
            timeout: 5000,
            headers: {
              Accept:
                'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
              ...(auth
                ? { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` }
                : {}),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`docker-registry exited (${child.exitCode}) at start:\n${stderr.join('')}`);
      const status = await call('GET', '/v2/', false).catch(() => 0);
      if (status === 401) break; // up, with auth
      if (Date.now() > deadline)
        throw new Error(
          `docker-registry did not answer on ${server} (last status ${status}):\n${stderr.join('')}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      server,
      caPem,
      username,
      password,
      trustOnThisMachine: () => {
        mkdirSync(certsDir, { recursive: true });
        writeFileSync(join(certsDir, 'ca.crt'), caPem);
      },
      deleteManifest: (repository, digest) => call('DELETE', `/v2/${repository}/manifests/${digest}`),
      manifestStatus: (repository, reference) => call('HEAD', `/v2/${repository}/manifests/${reference}`),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
