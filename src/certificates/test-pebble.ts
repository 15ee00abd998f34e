// For the tests: a real ACME CA, Let's Encrypt's Pebble (Debian's package `pebble`), on loopback (or on the
// address given as `listenAddress`, e.g. a testbed's bridge, for hosts in other network namespaces), with its
// companion pebble-challtestsrv as the DNS server it resolves names with (every name → 127.0.0.1, no AAAA), so
// that Pebble's validation of shop.test really connects to the test's challenge servers. Debian's package does
// not ship Pebble's test certificates (test/certs/ in its repository): the HTTPS certificate of Pebble's own API
// is made here with openssl, by a throwaway CA that the client then trusts through its `caBundle` option.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:https';

export interface RunningPebble {
  directoryUrl: string;
  /** PEM of the CA that signed Pebble's API certificate: the `caBundle` to trust. */
  caBundle: string;
  /** GET on Pebble's management API (roots, cert-status-by-serial). */
  management(path: string): Promise<{ status: number; body: string }>;
  /** POST to pebble-challtestsrv's management API (set-servfail, add-a …). */
  dnsControl(path: string, body: unknown): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts pebble-challtestsrv (DNS) and Pebble. `httpPort` and `tlsPort` are where Pebble's validation connects
 * for HTTP-01 and TLS-ALPN-01 (the test's servers). `validitySeconds`: the lifetime of the certificates it issues.
 * `listenAddress`: the IPv4 address Pebble's ACME API listens on and `directoryUrl` names (default 127.0.0.1);
 * its API certificate is valid for it, so that a client elsewhere verifies it with `caBundle`. The management
 * APIs stay on loopback.
 */
export async function startPebble(opts: {
  httpPort: number;
  tlsPort: number;
  validitySeconds?: number;
  listenAddress?: string;
}): Promise<RunningPebble> {
  const listenAddress = opts.listenAddress ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'sw-pebble-'));
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of children.reverse()) await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    makeServerCertificate(dir, listenAddress);
    const caBundle = readFileSync(join(dir, 'ca.pem'), 'utf8');
    const [dnsPort, dnsManagementPort, listenPort, managementPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const dns = spawnLogged(
      'pebble-challtestsrv',
      [
        '-dns01',
        `127.0.0.1:${dnsPort}`,
        '-management',
        `127.0.0.1:${dnsManagementPort}`,
        '-http01',
        '',
        '-https01',
        '',
        '-tlsalpn01',
        '',
        '-defaultIPv4',
        '127.0.0.1',
        '-defaultIPv6',
        '',
      ],
      {},
    );
    children.push(dns.child);
    writeFileSync(
      join(dir, 'pebble.json'),
      JSON.stringify({
        pebble: {
          listenAddress: `${listenAddress}:${listenPort}`,
          managementListenAddress: `127.0.0.1:${managementPort}`,
          certificate: join(dir, 'server.pem'),
          privateKey: join(dir, 'server.key'),
          httpPort: opts.httpPort,
          tlsPort: opts.tlsPort,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
          ...(opts.validitySeconds ? { certificateValidityPeriod: opts.validitySeconds } : {}),
        },
      }),
    );
    // PEBBLE_VA_NOSLEEP: validate at once (no random 0-15 s pause). PEBBLE_AUTHZREUSE=0: every order validates its
    // challenges again (by default half reuse an earlier valid authorization and skip the challenge). Never
    // PEBBLE_VA_ALWAYS_VALID: the challenge must really be fetched and checked.
    const pebble = spawnLogged(
      'pebble',
      ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`],
      { PEBBLE_VA_NOSLEEP: '1', PEBBLE_AUTHZREUSE: '0' },
    );
    children.push(pebble.child);
    const agent = new Agent({ ca: caBundle });
    const get = (url: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        request(url, { agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
          .on('error', reject)
          .end();
      });
    const directoryUrl = `https://${listenAddress}:${listenPort}/dir`;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ok = await get(directoryUrl).then(
        (r) => r.status === 200,
        () => false,
      );
      const dnsUp = await fetch(`http://127.0.0.1:${dnsManagementPort}/clear-request-history`, {
        method: 'POST',
        body: '{"host":"","type":"DNS"}',
      }).then(
        () => true,
        () => false,
      );
      if (ok && dnsUp) break;
      if (Date.now() > deadline || pebble.child.exitCode !== null || dns.child.exitCode !== null) {
        throw new Error(`pebble did not start:\n${pebble.output()}\n${dns.output()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      directoryUrl,
      caBundle,
      management: (path) => get(`https://127.0.0.1:${managementPort}${path}`),
      dnsControl: async (path, body) => {
        const res = await fetch(`http://127.0.0.1:${dnsManagementPort}${path}`, {
          method: 'POST',
          body: JSON.stringify(body),
        });
        if (!res.ok) throw new Error(`challtestsrv ${path}: ${res.status} ${await res.text()}`);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A throwaway CA and, signed by it, the certificate of Pebble's API for 127.0.0.1, localhost and `address`. */
function makeServerCertificate(dir: string, address: string): void {
  const ips = [...new Set(['127.0.0.1', address])].map((ip) => `IP:${ip}`).join(',');
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=slipway test CA for pebble',
  );
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'server.key',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-addext',
    `subjectAltName=${ips},DNS:localhost`,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
  );
}

function spawnLogged(
  command: string,
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; output(): string } {
  const childEnv = { ...process.env, ...env };
  delete childEnv.PEBBLE_VA_ALWAYS_VALID; // not even from the caller's environment
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => `${command}: ${output}` };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(
    () => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'),
    5000,
  );
  await exited;
  clearTimeout(timer);
}
