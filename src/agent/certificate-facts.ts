import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { issuerLine } from '../certificates/certificate-files.js';
import { certificateNames } from '../router/tls/certificate-names.js';

/** What `slipway status` and `slipway plan` say of a certificate: whom it names, who issued it, when it is valid. */
export interface CertificateFacts {
  /** The DNS names it covers (its subjectAltName DNS entries, or its subject CN when it has none). */
  names: string[];
  /** The issuer's distinguished name on one line, e.g. `CN=R11, O=Let's Encrypt, C=US` (`issuerLine`). */
  issuer: string;
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
}

/** A certificate of a route's front door as the agent reports it (RouteStatus.frontDoor.certificates). */
export interface FrontDoorCertificateStatus extends CertificateFacts {
  /** The host's copy (under the agent's home). */
  file: string;
  /** `tls.certificates` (files from the control plane) or `tls.acme` (obtained by the host). */
  source: 'files' | 'acme';
  /** Why the file could not be described (unreadable, no PEM certificate); the other fields are empty then. */
  error?: string;
}

/** The first certificate of a PEM chain (the leaf), described. Throws when the text holds no certificate. */
export function describeCertificatePem(pem: string | Buffer): CertificateFacts {
  const x509 = new X509Certificate(pem);
  return {
    names: certificateNames(x509.subjectAltName, x509.subject),
    issuer: issuerLine(x509), // as the ACME client's ledger lines give it
    notBefore: new Date(Date.parse(x509.validFrom)).toISOString(),
    notAfter: new Date(Date.parse(x509.validTo)).toISOString(),
  };
}

// Status is asked often (every `state` call lists the routes) and the router process answers it: each file is
// parsed once per version (path, inode, size and mtime), then only stat'ed.
const described = new Map<string, { version: string; facts: CertificateFacts }>();
const MAX_CACHED = 512;

/**
 * A certificate file on this machine, described; `{ error }` (never a throw) when it cannot be read or holds no
 * PEM certificate. Cheap to call again: a file that has not changed is not read twice.
 */
export function readCertificateFacts(file: string): CertificateFacts | { error: string } {
  let version: string;
  let pem: Buffer;
  try {
    const stat = statSync(file);
    version = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    const cached = described.get(file);
    if (cached?.version === version) return cached.facts;
    pem = readFileSync(file);
  } catch (err) {
    return { error: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
  try {
    const facts = describeCertificatePem(pem);
    if (described.size >= MAX_CACHED) described.clear();
    described.set(file, { version, facts });
    return facts;
  } catch (err) {
    return { error: `${file} holds no PEM certificate: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * A route's front door certificates as `status` shows them (RouteStatus.frontDoor.certificates), from the host's
 * files; never throws. `acme` is set on a saved front door whose certificates the host obtains itself.
 */
export function describeFrontDoorCertificates(door: {
  certificates: ReadonlyArray<{ certFile: string }>;
  acme?: unknown;
}): FrontDoorCertificateStatus[] {
  const source = door.acme ? 'acme' : 'files';
  return door.certificates.map(({ certFile }) => {
    const facts = readCertificateFacts(certFile);
    return 'error' in facts
      ? { file: certFile, names: [], issuer: '', notBefore: '', notAfter: '', source, error: facts.error }
      : { file: certFile, ...facts, source };
  });
}
