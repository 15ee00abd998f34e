import { join } from 'node:path';
import { InputError, SlipwayError } from '../../core/errors.js';
import { createAcmeIssuer, type RevocationReason } from '../../certificates/acme-issuer.js';
import {
  createCertificateManager,
  type CertificateFailure,
  type CertificateManager,
} from '../../certificates/certificate-manager.js';
import {
  accountDirName,
  certificateIdOf,
  type CertificateMeta,
  type StoredCertificate,
} from '../../certificates/certificate-files.js';
import { Http01Answers, TlsAlpn01Answers } from '../../certificates/challenges.js';
import { isServable, type ObtainReason, type RenewalPolicy } from '../../certificates/renewal.js';
import type { FrontDoorAcmeSpec } from '../protocol.js';
import { digest, metaOf, writeServedFiles, type AcmeCertificateFiles } from './acme-served-files.js';

export type { AcmeCertificateFiles } from './acme-served-files.js';

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

/** An operator's request for a new certificate (`slipway certificates renew`), while it runs. */
interface Request {
  requestedBy: string;
  revoke: RevocationReason | null;
  /** The certificate being replaced (revoked first with `revoke`), and whether its revocation was journaled. */
  previous: StoredCertificate | null;
  revokedJournaled: boolean;
}

/** What `replace` did: the certificate replaced (null: none yet), the new one, and the new one's PEM files. */
export interface Replacement {
  previous: CertificateMeta | null;
  current: CertificateMeta;
  files: AcmeCertificateFiles;
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
  /** Route keys whose certificate an operator asked to replace, while that runs. */
  readonly #requests = new Map<string, Request>();

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
    return stored !== null && isServable(stored, names, Date.now())
      ? writeServedFiles(this.dir, key, stored)
      : null;
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
      return await writeServedFiles(this.dir, key, stored);
    } finally {
      this.#obtaining.delete(key);
    }
  }

  /**
   * A new certificate for route `key` now, whatever the state of the stored one (`slipway certificates renew`); with
   * `revoke`, the stored one is revoked at the CA first, and if the replacement then fails, the revoked one keeps
   * serving until the timer replaces it after the back-off. The caller serves the new one. Throws the CA's error.
   */
  async replace(
    key: string,
    names: readonly string[],
    spec: FrontDoorAcmeSpec,
    options: { revoke: RevocationReason | null; requestedBy: string },
  ): Promise<Replacement> {
    const account = this.#account(spec);
    const id = certificateIdOf(key);
    const previous = await account.manager.get(id);
    if (options.revoke !== null && previous === null) {
      throw new SlipwayError(`there is no certificate for ${names.join(', ')} to revoke on this host`);
    }
    const request: Request = { ...options, previous, revokedJournaled: false };
    this.#requests.set(key, request);
    this.#obtaining.add(key);
    try {
      const cert =
        options.revoke === null
          ? await account.manager.renewNow(id, names)
          : await this.#revokeAndReplace(account, id, options.revoke, request);
      return {
        previous: previous && metaOf(previous),
        current: metaOf(cert),
        files: await writeServedFiles(this.dir, key, cert),
      };
    } finally {
      this.#obtaining.delete(key);
      this.#requests.delete(key);
    }
  }

  /** The manager's revoke-and-replace (`certificate.revoked` is journaled as soon as the CA has revoked it). */
  async #revokeAndReplace(
    account: CaAccount,
    id: string,
    reason: RevocationReason,
    request: Request,
  ): Promise<StoredCertificate> {
    try {
      return await account.manager.revokeAndReplace(id, reason);
    } catch (err) {
      if (!request.revokedJournaled) throw err; // not revoked: the certificate in place keeps serving
      throw new SlipwayError(
        `the certificate ${request.previous?.serial ?? ''} was revoked at the CA, but no replacement was obtained: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
          hint: 'the revoked certificate keeps serving until a replacement is obtained: the router process tries again after the back-off, or run the command again without --revoke',
        },
      );
    }
  }

  #journalRevoked(key: string, request: Request): void {
    const old = request.previous;
    if (old === null || request.revokedJournaled) return;
    request.revokedJournaled = true;
    this.hooks.event(
      'certificate.revoked',
      key,
      `certificate ${old.serial} for ${old.names.join(', ')} (valid until ${old.notAfter}) revoked at ${old.issuer} (${request.revoke ?? 'unspecified'}, requested by ${request.requestedBy})`,
      {
        names: old.names,
        issuer: old.issuer,
        serial: old.serial,
        notAfter: old.notAfter,
        reason: request.revoke,
        requestedBy: request.requestedBy,
      },
    );
  }

  /**
   * Sets (or, with null, removes) an HTTP-01 answer every front door of the host serves, for an order the control
   * plane runs itself (`acme.shared`): the token and the key authorization (`<token>.<thumbprint>`) are checked.
   */
  answerHttp01(token: string, keyAuthorization: string | null): void {
    if (typeof token !== 'string' || !TOKEN.test(token)) {
      throw new InputError(`not an ACME challenge token: ${JSON.stringify(token)?.slice(0, 80)}`, {
        hint: 'a token is 1 to 256 characters of A-Z, a-z, 0-9, _ and -',
      });
    }
    if (keyAuthorization === null) {
      this.http01.remove(token);
      return;
    }
    if (
      typeof keyAuthorization !== 'string' ||
      keyAuthorization.length > 512 ||
      !keyAuthorization.startsWith(`${token}.`) ||
      !THUMBPRINT.test(keyAuthorization.slice(token.length + 1))
    ) {
      throw new InputError(`not the key authorization of ACME challenge ${token}`, {
        hint: 'a key authorization is `<token>.<base64url account key thumbprint>`, at most 512 characters',
      });
    }
    this.http01.set(token, keyAuthorization);
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
    const dir = join(this.dir, accountDirName(spec.directoryUrl, spec.email));
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
    // The routes watched, and those being obtained by `obtain` (the first certificate of a route is journaled too).
    const routeOf = (id: string): string | undefined =>
      [...(this.#accounts.get(accountKey)?.routes.keys() ?? []), ...this.#obtaining].find(
        (k) => certificateIdOf(k) === id,
      );
    const manager = createCertificateManager({
      dir,
      // A revocation an operator asked for is journaled as soon as the CA has done it, before the replacement.
      issuer: {
        obtain: (names) => issuer.obtain(names),
        revoke: async (pem, reason) => {
          await issuer.revoke(pem, reason);
          for (const [key, request] of this.#requests)
            if (request.previous?.certificate === pem) this.#journalRevoked(key, request);
        },
      },
      ...(this.policy === undefined ? {} : { policy: this.policy }),
      onIssued: (cert, reason) => void this.#issued(routeOf(cert.id), cert, reason),
      onFailure: (failure) => this.#failed(routeOf(failure.id), failure),
    });
    const account: CaAccount = { manager, routes: new Map() };
    this.#accounts.set(accountKey, account);
    return account;
  }

  async #issued(key: string | undefined, cert: StoredCertificate, reason: ObtainReason): Promise<void> {
    if (key === undefined) return;
    const request = this.#requests.get(key);
    const what = ISSUED_WORDS[reason] ?? `renewed (${reason})`;
    const asked = request === undefined ? '' : ` (requested by ${request.requestedBy})`;
    this.hooks.event(
      'certificate.issued',
      key,
      `certificate ${cert.serial} for ${cert.names.join(', ')} ${what} from ${cert.issuer}, valid until ${cert.notAfter}${asked}`,
      {
        names: cert.names,
        issuer: cert.issuer,
        serial: cert.serial,
        notAfter: cert.notAfter,
        reason,
        ...(request === undefined ? {} : { requestedBy: request.requestedBy }),
      },
    );
    if (this.#obtaining.has(key)) return; // `obtain` returns it to its caller, who serves it
    try {
      await this.hooks.renewed(key, await writeServedFiles(this.dir, key, cert));
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
    // A revocation is an operator's request (`certificates renew --revoke`), not retried on its own.
    const next =
      failure.reason === 'revoke'
        ? 'it is not revoked; ask again to revoke it'
        : `next attempt at ${new Date(failure.retryAtMs).toISOString()}`;
    const request = this.#requests.get(key);
    const asked = request === undefined ? '' : ` (requested by ${request.requestedBy})`;
    this.hooks.event(
      'certificate.failed',
      key,
      `certificate for ${failure.names.join(', ')} could not be ${failure.reason === 'revoke' ? 'revoked' : 'obtained'}${asked} (${failure.failures} failure${failure.failures > 1 ? 's' : ''} in a row): ${failure.error.message}; ${current}; ${next}`,
      {
        names: failure.names,
        reason: failure.reason,
        failures: failure.failures,
        retryAtMs: failure.retryAtMs,
        notAfter: failure.current?.notAfter ?? null,
        ...(request === undefined ? {} : { requestedBy: request.requestedBy }),
      },
    );
  }
}

const ISSUED_WORDS: Partial<Record<ObtainReason, string>> = {
  missing: 'obtained',
  requested: 'renewed ahead of time',
  revoked: 'obtained in place of the revoked one',
};

const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const THUMBPRINT = /^[A-Za-z0-9_-]+$/;

function accountKeyOf(spec: FrontDoorAcmeSpec): string {
  return `${spec.directoryUrl}\n${spec.email ?? ''}\n${digest(spec.caBundle ?? '')}`;
}
