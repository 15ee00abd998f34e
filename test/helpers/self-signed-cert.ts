import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedCert {
  key: Buffer;
  /** PEM; also the CA that verifies it. */
  cert: string;
  dispose(): void;
}

/**
 * A certificate for 127.0.0.1 made by openssl for one test (valid `days`). openssl is required: CI installs it,
 * and a TLS test must not pass by being skipped.
 */
export function makeSelfSignedCert(days = 30): SelfSignedCert {
  const dir = mkdtempSync(join(tmpdir(), 'sw-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      String(days),
      '-subj',
      '/CN=slipway-test',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return {
    key: readFileSync(keyFile),
    cert: readFileSync(certFile, 'utf8'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
