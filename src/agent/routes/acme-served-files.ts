import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  certificateIdOf,
  type CertificateMeta,
  type StoredCertificate,
} from '../../certificates/certificate-files.js';

// The files of the certificates a host's front door obtains itself (src/agent/routes/front-door-acme.ts): the
// PEM copies the CertificateStore loads, and the names they are kept under.

/** A certificate's PEM files as the front door's CertificateStore loads them. */
export interface AcmeCertificateFiles {
  certFile: string;
  keyFile: string;
}

/** The PEM files the store loads for route `key`'s certificate, under `<dir>/served/`: named by content, 0600. */
export async function writeServedFiles(
  dir: string,
  key: string,
  cert: StoredCertificate,
): Promise<AcmeCertificateFiles> {
  const served = join(dir, 'served');
  await mkdir(served, { recursive: true, mode: 0o700 });
  const base = `${certificateIdOf(key)}-${digest(cert.certificate + cert.key).slice(0, 12)}`;
  const files = { certFile: join(served, `${base}.pem`), keyFile: join(served, `${base}.key`) };
  await writePrivate(files.certFile, cert.certificate);
  await writePrivate(files.keyFile, cert.key);
  return files;
}

/** What is known about a certificate, without its chain and key. */
export function metaOf(cert: StoredCertificate): CertificateMeta {
  const { certificate: _certificate, key: _key, ...meta } = cert;
  return meta;
}

export function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Written whole (a temp file renamed), readable by the router process's user only. */
export async function writePrivate(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp`;
  await rm(temp, { force: true });
  await writeFile(temp, text, { mode: 0o600 });
  await rename(temp, path);
}
