/**
 * Test-only: a private PKI made with the `openssl` command in a temp dir: a test CA (ECDSA P-256) and leaf
 * certificates it signs for the names a test asks for. Not imported by production code.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateStore } from './tls/certificate-store.js';

export interface TestPki {
  dir: string;
  caFile: string;
  /** The CA certificate (PEM), for clients' `ca`. */
  ca: string;
  /** Issues a leaf (its own new P-256 key) for `names` (subjectAltName DNS entries) into `<dir>/<file>.{pem,key}`. */
  issue(file: string, names: readonly string[], opts?: { days?: number }): TestLeaf;
  /** Removes the directory. */
  remove(): void;
}

export interface TestLeaf {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A fresh CA in a temp dir (openssl, ~10 ms a key). */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-test-pki-'));
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ecKey,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-subj',
      '/CN=Slipway Test CA',
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const caFile = join(dir, 'ca.pem');
  return {
    dir,
    caFile,
    ca: readFileSync(caFile, 'utf8'),
    issue(file, names, opts = {}) {
      const keyFile = join(dir, `${file}.key`);
      const certFile = join(dir, `${file}.pem`);
      openssl(
        [
          'req',
          ...ecKey,
          '-keyout',
          keyFile,
          '-x509',
          '-CA',
          'ca.pem',
          '-CAkey',
          'ca.key',
          '-subj',
          `/CN=${names[0] ?? 'nobody'}`,
          '-addext',
          `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
          '-addext',
          'extendedKeyUsage=serverAuth',
          '-addext',
          'basicConstraints=CA:FALSE',
          '-days',
          String(opts.days ?? 2),
          '-out',
          certFile,
        ],
        dir,
      );
      return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The name the shared test certificate is for; TLS test clients send it as SNI. */
export const TEST_SERVER_NAME = 'router.test';

let shared: Promise<{ pki: TestPki; store: CertificateStore }> | null = null;

/**
 * One CA and one certificate (for `router.test`, also the default) per test worker, shared by every TLS router a
 * suite starts (tests that replace files make their own). Removed when the worker exits.
 */
export function sharedTestTls(): Promise<{ pki: TestPki; store: CertificateStore }> {
  shared ??= (async () => {
    const pki = createTestPki();
    process.once('exit', () => pki.remove());
    const leaf = pki.issue('router', [TEST_SERVER_NAME]);
    const store = await CertificateStore.load({
      certificates: [{ ...leaf, id: 'router' }],
      defaultCertificate: 'router',
      watch: false,
    });
    return { pki, store };
  })();
  return shared;
}
