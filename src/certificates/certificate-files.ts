// The files: the ACME account key (made once, then reused) and one JSON file per certificate holding the chain,
// its private key and what is known about it. All 0600 in 0700 directories, each written whole (a temp file, then
// a rename): a reader, or a crash, never sees half a certificate or a chain beside another chain's key.
import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.js';

export const ACCOUNT_KEY_FILE = 'acme-account-key.pem';

/** What is known about a certificate, without its secrets. */
export interface CertificateMeta {
  /** The file's name: the certificate's id (by default its first name). */
  id: string;
  /** The names it was ordered for, first one is the subject's common name. */
  names: string[];
  /** Issuer's distinguished name, e.g. `CN=R11, O=Let's Encrypt, C=US`. */
  issuer: string;
  /** Hex serial number, as the CA's status pages show it. */
  serial: string;
  notBefore: string;
  notAfter: string;
  obtainedAt: string;
  /** The CA's directory URL it came from. */
  directoryUrl: string;
  /** Revoked at the CA (its replacement failed): renewal replaces it first. */
  revoked: boolean;
}

export interface StoredCertificate extends CertificateMeta {
  /** PEM: the leaf first, then the intermediates. */
  certificate: string;
  /** PEM (PKCS#8) private key of the leaf. */
  key: string;
}

const ID = /^[a-z0-9][a-z0-9._-]{0,199}$/;

/**
 * The certificate id (a file name the store accepts: lower-case letters, digits, `.`, `-`, `_`) for a route key
 * such as `shop@production`: readable, and unique per key by a digest.
 */
export function certificateIdOf(key: string): string {
  const readable = key
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '_')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 60);
  return `${readable || 'route'}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

/** The directory name of an ACME account (and its certificates): one per CA directory and contact. */
export function accountDirName(directoryUrl: string, email: string | undefined): string {
  return createHash('sha256')
    .update(`${directoryUrl}\n${email ?? ''}`)
    .digest('hex')
    .slice(0, 16);
}

export function certificatePath(dir: string, id: string): string {
  if (!ID.test(id) || id.includes('..')) {
    throw new SlipwayError(`bad certificate id "${id}": lowercase letters, digits, '.', '-', '_' only`);
  }
  return join(dir, `${id}.json`);
}

/** Writes `cert` as `<dir>/<id>.json`, 0600, atomically and durably (fsync the file, rename, fsync the directory). */
export async function writeCertificate(dir: string, cert: StoredCertificate): Promise<void> {
  await writeFileAtomic(certificatePath(dir, cert.id), `${JSON.stringify(cert, null, 2)}\n`);
}

/** The stored certificate, or null when there is none. A file that is not a certificate throws. */
export async function readCertificate(dir: string, id: string): Promise<StoredCertificate | null> {
  const path = certificatePath(dir, id);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const data = JSON.parse(text) as Partial<StoredCertificate>;
  if (typeof data.certificate !== 'string' || typeof data.key !== 'string' || !Array.isArray(data.names)) {
    throw new SlipwayError(`${path} is not a certificate file written by Slipway`);
  }
  return data as StoredCertificate;
}

/** A certificate's issuer on one line, most specific first, e.g. `CN=R11, O=Let's Encrypt, C=US`. */
export function issuerLine(x509: X509Certificate): string {
  return x509.issuer.split('\n').reverse().join(', ');
}

/** Issuer, serial, validity and names of the leaf (the first certificate of a PEM chain). */
export function describeLeaf(chainPem: string): {
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  dnsNames: string[];
} {
  const leaf = new X509Certificate(chainPem);
  const dnsNames = (leaf.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  return {
    issuer: issuerLine(leaf),
    serial: leaf.serialNumber.toLowerCase(),
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
    dnsNames,
  };
}

/**
 * The account key in `dir` (PEM), made on first use: an ECDSA P-256 key, 0600. Two processes starting at once
 * end with the same key: each writes a temp file and hard-links it into place, and the loser reads the winner's.
 */
export async function loadOrCreateAccountKey(dir: string): Promise<string> {
  const path = join(dir, ACCOUNT_KEY_FILE);
  const existing = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (existing !== null) return existing;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const tmp = tempPath(path);
  await writeSynced(tmp, privateKey);
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return readFile(path, 'utf8');
}

async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = join(path, '..');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = tempPath(path);
  try {
    await writeSynced(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeSynced(path: string, text: string): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await chmod(path, 0o600); // whatever the umask
}

/** A temp file beside `path`, its own for this call (two calls in one process and millisecond do not share it). */
function tempPath(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}
