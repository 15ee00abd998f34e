import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAcmeIssuer } from '../../certificates/acme-issuer.js';
import {
  createCertificateManager,
  type CertificateFailure,
  type CertificateManager,
} from '../../certificates/certificate-manager.js';
import type { StoredCertificate } from '../../certificates/certificate-files.js';
import { Http01Answers, TlsAlpn01Answers } from '../../certificates/challenges.js';
import { sameNames, type RenewalPolicy, type RenewalReason } from '../../certificates/renewal.js';
import type { FrontDoorAcmeSpec } from '../protocol.js';

/** A certificate's PEM files as the front door's CertificateStore loads them. */
export interface AcmeCertificateFiles {
  certFile: string;
  keyFile: string;
}

export interface FrontDoorAcmeHooks {
  /** A certificate was obtained or renewed by the timer (not by `obtain`): serve these files for route `key`. */
  renewed(key: string, files: AcmeCertificateFiles): Promise<void>;
  /** Journal an event about route `key` (ledgered and notified by the control plane). */
  event(kind: string, key: string, message: string, data?: Record<string, unknown>): void;
}

interface CaAccount {
  manager: CertificateManager;
  /** The route keys this account keeps certificates for (watched for renewal), with their names. */
  routes: Map<string, string[]>;
}

/**
 * The certificates a host's front door obtains itself from ACME CAs (`tls.acme`), in the router process, which
 * is always running: one account and CertificateManager per CA and contact (key and certificates under
 * `<dir>/<digest>/`, 0600 in 0700 directories), the challenge answers every front door of the host serves
 * (HTTP-01 on the plain port, TLS-ALPN-01 on the TLS port), and a PEM copy of each certificate for the
 * CertificateStore. Renewal runs on the manager's timer (at two thirds of the lifetime): a renewed certificate
 * is handed to `renewed` and swapped in for new handshakes; a failure is journaled while the certificate in
 * place keeps serving, and tried again after the back-off.
 */
export class FrontDoorAcme {
  readonly http01 = new Http01Answers();
  readonly tlsAlpn01 = new TlsAlpn01Answers();
  readonly #accounts = new Map<string, CaAccount>();
  /** Which account each route key's certificate is kept by. */
  readonly #routeAccount = new Map<string, string>();
  /** Route keys whose certificate is being obtained by `obtain`: its result is served by the caller. */
  readonly #obtaining = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly hooks: FrontDoorAcmeHooks,
    private readonly policy?: RenewalPolicy,
  ) {}

  /** The stored certificate of route `key` when it is usable now for exactly these names, as PEM files. */
  async current(
    key: string,
    names: readonly string[],
    spec: FrontDoorAcmeSpec,
  ): Promise<AcmeCertificateFiles | null> {
    const account = this.#account(spec);
    const stored = await account.manager.get(certificateIdOf(key)).catch(() => null);
    if (stored === null || stored.revoked || Date.parse(stored.notAfter) <= Date.now()) return null;
    if (!sameNames(stored.names, names)) return null;
    return this.#servedFiles(key, stored);
  }

  /**
   * A certificate for route `key` now: the stored one while it is good, else obtained from the CA (the front
   * door must already answer the names' challenges). Throws the CA's error, or, while backing off after a
   * failure, says when the next attempt is.
   */
  async obtain(
    key: string,
    names: readonly string[],
    spec: FrontDoorAcmeSpec,
  ): Promise<AcmeCertificateFiles> {
    const account = this.#account(spec);
    this.#obtaining.add(key);
    try {
      const stored = await account.manager.ensure(certificateIdOf(key), names);
      return await this.#servedFiles(key, stored);
    } finally {
      this.#obtaining.delete(key);
    }
  }

  /** Keeps route `key`'s certificate renewed from now on (by this CA); a route with no `acme` is `forget`-ten. */
  watch(key: string, names: readonly string[], spec: FrontDoorAcmeSpec): void {
    const accountKey = accountKeyOf(spec);
    const before = this.#routeAccount.get(key);
    if (before !== undefined && before !== accountKey) this.forget(key);
    const account = this.#account(spec);
    this.#routeAccount.set(key, accountKey);
    account.routes.set(key, [...names]);
    this.#rewatch(account);
  }

  /** Stops renewing route `key`'s certificate (its files stay until the route comes back or the home is wiped). */
  forget(key: string): void {
    const accountKey = this.#routeAccount.get(key);
    if (accountKey === undefined) return;
    this.#routeAccount.delete(key);
    const account = this.#accounts.get(accountKey);
    if (account?.routes.delete(key)) this.#rewatch(account);
  }

  close(): void {
    for (const account of this.#accounts.values()) account.manager.stop();
  }

  #rewatch(account: CaAccount): void {
    account.manager.watch([...account.routes].map(([key, names]) => ({ id: certificateIdOf(key), names })));
  }

  #account(spec: FrontDoorAcmeSpec): CaAccount {
    const accountKey = accountKeyOf(spec);
    const existing = this.#accounts.get(accountKey);
    if (existing !== undefined) return existing;
    // The account (key) and certificates are per CA and contact; the CA bundle only says whom to trust.
    const dir = join(this.dir, digest(`${spec.directoryUrl}\n${spec.email ?? ''}`).slice(0, 16));
    const issuer = createAcmeIssuer({
      ca: {
        directory: spec.directoryUrl,
        ...(spec.email === undefined ? {} : { email: spec.email }),
        ...(spec.caBundle === undefined ? {} : { caBundle: spec.caBundle }),
      },
      accountDir: dir,
      http01: this.http01,
      tlsAlpn01: this.tlsAlpn01,
    });
    const routeOf = (id: string): string | undefined =>
      [...(this.#accounts.get(accountKey)?.routes.keys() ?? [])].find((k) => certificateIdOf(k) === id);
    const manager = createCertificateManager({
      dir,
      issuer,
      ...(this.policy === undefined ? {} : { policy: this.policy }),
      onIssued: (cert, reason) => void this.#issued(routeOf(cert.id), cert, reason),
      onFailure: (failure) => this.#failed(routeOf(failure.id), failure),
    });
    const account: CaAccount = { manager, routes: new Map() };
    this.#accounts.set(accountKey, account);
    return account;
  }

  async #issued(key: string | undefined, cert: StoredCertificate, reason: RenewalReason): Promise<void> {
    if (key === undefined) return;
    const what = reason === 'missing' ? 'obtained' : `renewed (${reason})`;
    this.hooks.event(
      'certificate.issued',
      key,
      `certificate for ${cert.names.join(', ')} ${what} from ${cert.issuer}, valid until ${cert.notAfter}`,
      { names: cert.names, issuer: cert.issuer, serial: cert.serial, notAfter: cert.notAfter, reason },
    );
    if (this.#obtaining.has(key)) return; // `obtain` returns it to its caller, who serves it
    try {
      await this.hooks.renewed(key, await this.#servedFiles(key, cert));
    } catch (err) {
      this.hooks.event(
        'certificate.failed',
        key,
        `certificate for ${cert.names.join(', ')} was obtained but cannot be served: ${String(err)}; the one in place keeps serving`,
      );
    }
  }

  #failed(key: string | undefined, failure: CertificateFailure): void {
    if (key === undefined) return;
    const current =
      failure.current === null
        ? 'no certificate is served for these names yet (they are served over plain HTTP)'
        : `the certificate in place (valid until ${failure.current.notAfter}) keeps serving`;
    this.hooks.event(
      'certificate.failed',
      key,
      `certificate for ${failure.names.join(', ')} could not be ${failure.reason === 'revoke' ? 'revoked' : 'obtained'} (${failure.failures} failure${failure.failures > 1 ? 's' : ''} in a row): ${failure.error.message}; ${current}; next attempt at ${new Date(failure.retryAtMs).toISOString()}`,
      {
        names: failure.names,
        reason: failure.reason,
        failures: failure.failures,
        retryAtMs: failure.retryAtMs,
        notAfter: failure.current?.notAfter ?? null,
      },
    );
  }

  /** The PEM files the store loads for this certificate: named by content, written 0600 once. */
  async #servedFiles(key: string, cert: StoredCertificate): Promise<AcmeCertificateFiles> {
    const served = join(this.dir, 'served');
    await mkdir(served, { recursive: true, mode: 0o700 });
    const base = `${certificateIdOf(key)}-${digest(cert.certificate + cert.key).slice(0, 12)}`;
    const files = { certFile: join(served, `${base}.pem`), keyFile: join(served, `${base}.key`) };
    await writePrivate(files.certFile, cert.certificate);
    await writePrivate(files.keyFile, cert.key);
    return files;
  }
}

/** A certificate id the manager accepts (lower-case letters, digits, `.`, `-`, `_`) for a route key. */
export function certificateIdOf(key: string): string {
  const readable = key
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '_')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 60);
  return `${readable || 'route'}-${digest(key).slice(0, 8)}`;
}

function accountKeyOf(spec: FrontDoorAcmeSpec): string {
  return `${spec.directoryUrl}\n${spec.email ?? ''}\n${digest(spec.caBundle ?? '')}`;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Written whole (a temp file renamed), readable by the router process's user only. */
export async function writePrivate(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp`;
  await rm(temp, { force: true });
  await writeFile(temp, text, { mode: 0o600 });
  await rename(temp, path);
}
