import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT_KEY_FILE,
  accountDirName,
  certificateIdOf,
  certificatePath,
  loadOrCreateAccountKey,
  readCertificate,
  writeCertificate,
  type StoredCertificate,
} from './certificate-files.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sw-certfiles-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cert: StoredCertificate = {
  id: 'shop.test',
  names: ['shop.test'],
  issuer: 'CN=Fake',
  serial: '01',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-04-01T00:00:00.000Z',
  obtainedAt: '2026-01-01T00:00:00.000Z',
  directoryUrl: 'https://ca.test/dir',
  revoked: false,
  certificate: 'CERT',
  key: 'KEY',
};

describe('certificate files', () => {
  it('writes 0600 in a 0700 directory, whole, and reads it back', async () => {
    const certs = join(dir, 'certs');
    await writeCertificate(certs, cert);
    await writeCertificate(certs, { ...cert, serial: '02' });
    expect(statSync(certs).mode & 0o777).toBe(0o700);
    expect(statSync(join(certs, 'shop.test.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(certs)).toEqual(['shop.test.json']);
    expect(await readCertificate(certs, 'shop.test')).toEqual({ ...cert, serial: '02' });
    expect(await readCertificate(certs, 'other')).toBeNull();
  });

  it('refuses an id that is a path, and a file that is not a certificate', async () => {
    expect(() => certificatePath(dir, '../etc/passwd')).toThrow(/bad certificate id/);
    expect(() => certificatePath(dir, 'a/b')).toThrow(/bad certificate id/);
    writeFileSync(join(dir, 'x.json'), '{"hello":1}');
    await expect(readCertificate(dir, 'x')).rejects.toThrow(/not a certificate file/);
  });

  it('makes the account key once (ECDSA P-256, 0600) and reuses it, also when asked twice at once', async () => {
    const account = join(dir, 'account');
    const [a, b] = await Promise.all([loadOrCreateAccountKey(account), loadOrCreateAccountKey(account)]);
    expect(a).toBe(b);
    expect(await loadOrCreateAccountKey(account)).toBe(a);
    expect(createPrivateKey(a).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(statSync(join(account, ACCOUNT_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(readdirSync(account)).toEqual([ACCOUNT_KEY_FILE]);
  });
});

describe('the names certificates are kept under', () => {
  it('a route key gives a readable id the store accepts, unique per key', () => {
    expect(certificateIdOf('shop@production')).toMatch(/^shop_production-[0-9a-f]{8}$/);
    expect(certificateIdOf('edge:shop@production')).toMatch(/^edge_shop_production-[0-9a-f]{8}$/);
    // Keys that read the same are still told apart.
    expect(certificateIdOf('shop@prod')).not.toBe(certificateIdOf('shop_prod'));
    expect(() => certificatePath('/d', certificateIdOf('@@@'))).not.toThrow();
  });

  it('one account directory per CA and contact', () => {
    const a = accountDirName('https://ca.test/dir', 'ops@shop.test');
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(accountDirName('https://ca.test/dir', undefined)).not.toBe(a);
    expect(accountDirName('https://other.test/dir', 'ops@shop.test')).not.toBe(a);
  });
});
