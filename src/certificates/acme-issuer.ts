// Obtaining and revoking certificates from an ACME CA (RFC 8555) with acme-client: the account (one key in the
// account directory, reused), an order for the names, one challenge per name answered through a responder, the
// CSR with a fresh key, the chain. Every step that fails throws an AcmeError saying which step, which name, what
// kind of failure and the CA's problem detail.
import { generateKeyPairSync } from 'node:crypto';
import type { Authorization, Client, Order } from 'acme-client';
import { directoryUrlOf, type AcmeCa } from './acme-ca.js';
import { acmeError, AcmeError } from './acme-error.js';
import { acmeConnections, loadAcme, withAcmeCall, type AcmeLib } from './acme-lib.js';
import { describeLeaf, loadOrCreateAccountKey } from './certificate-files.js';
import type { Http01Responder, TlsAlpn01Responder } from './challenges.js';

export type ChallengeType = 'http-01' | 'tls-alpn-01';

export interface AcmeIssuerOptions {
  ca: AcmeCa;
  /** Where the account key lives (0600, made on first use). */
  accountDir: string;
  /** Serves HTTP-01 answers (the router's port 80). */
  http01?: Http01Responder;
  /** Serves TLS-ALPN-01 certificates (the router's port 443). */
  tlsAlpn01?: TlsAlpn01Responder;
  /** The challenge types to use, preferred first; default: those with a responder, http-01 first. */
  challenges?: ChallengeType[];
  /** Polling the CA for a result: attempts, first wait, longest wait (default 12 attempts, 500 ms doubling to 5 s). */
  poll?: { attempts: number; minMs: number; maxMs: number };
}

export interface IssuedCertificate {
  names: string[];
  /** PEM chain, leaf first. */
  certificate: string;
  /** PEM (PKCS#8) key of the leaf: ECDSA P-256. */
  key: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  directoryUrl: string;
}

/** RFC 5280 reason codes the CA accepts from a subscriber (Let's Encrypt takes these). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  superseded: 4,
  cessationOfOperation: 5,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export interface AcmeIssuer {
  readonly directoryUrl: string;
  /** A new certificate (and key) for `names`: the first is the subject's common name, all are in its SANs. */
  obtain(names: readonly string[]): Promise<IssuedCertificate>;
  /** Revokes `certificatePem` (issued to this account) at the CA. */
  revoke(certificatePem: string, reason?: RevocationReason): Promise<void>;
}

const NO_ACCOUNT = new Error('no account for this key yet');

export function createAcmeIssuer(options: AcmeIssuerOptions): AcmeIssuer {
  const directoryUrl = directoryUrlOf(options.ca.directory);
  const challengeTypes = (options.challenges ?? ['http-01', 'tls-alpn-01']).filter((type) =>
    type === 'http-01' ? options.http01 !== undefined : options.tlsAlpn01 !== undefined,
  );
  const poll = options.poll ?? { attempts: 12, minMs: 500, maxMs: 5000 };
  const agent = acmeConnections(options.ca.caBundle);
  let session: Promise<{ acme: AcmeLib; client: Client }> | null = null;

  /** The library, the client, and the account registered (or found again: same key, same account) once. */
  function connect(): Promise<{ acme: AcmeLib; client: Client }> {
    session ??= (async () => {
      const acme = await loadAcme();
      const accountKey = await loadOrCreateAccountKey(options.accountDir);
      const client = new acme.Client({
        directoryUrl,
        accountKey,
        backoffAttempts: poll.attempts,
        backoffMin: poll.minMs,
        backoffMax: poll.maxMs,
        ...(options.ca.externalAccountBinding
          ? { externalAccountBinding: options.ca.externalAccountBinding }
          : {}),
      });
      await register(client);
      return { acme, client };
    })();
    // A failed start is tried again by the next call, not remembered.
    session.catch(() => (session = null));
    return session;
  }

  /**
   * The account of the key: found (and its contact brought up to date), or created. Not acme-client's createAccount
   * alone: for an existing account it sends the terms agreement again as an update, which Pebble refuses.
   */
  async function register(client: Client): Promise<void> {
    const what = `registering the ACME account at ${directoryUrl}`;
    const contact = options.ca.email ? { contact: [`mailto:${options.ca.email}`] } : {};
    const exists = await withAcmeCall(
      agent,
      () => client.createAccount({ onlyReturnExisting: true }).then(() => true),
      (err, problem) =>
        problem?.type.endsWith(':accountDoesNotExist') ? NO_ACCOUNT : acmeError(what, [], err, problem),
    ).catch((err: unknown) => {
      if (err === NO_ACCOUNT) return false;
      throw err;
    });
    await withAcmeCall(
      agent,
      async () => {
        if (!exists) await client.createAccount({ termsOfServiceAgreed: true, ...contact });
        else if (options.ca.email) await client.updateAccount(contact);
      },
      (err, problem) => acmeError(what, [], err, problem),
    );
  }

  async function answer(
    acme: AcmeLib,
    client: Client,
    authz: Authorization,
    names: readonly string[],
  ): Promise<void> {
    const name = authz.identifier.value;
    if (authz.status === 'valid') return; // validated recently for this account: the CA reuses it
    const challenge = challengeTypes
      .map((type) => authz.challenges.find((c) => c.type === type))
      .find((c) => c !== undefined);
    if (!challenge) {
      throw new AcmeError(
        'ca',
        names,
        null,
        `the CA offers no challenge for ${name} that Slipway answers (offered: ${authz.challenges.map((c) => c.type).join(', ')}; answerable: ${challengeTypes.join(', ') || 'none, no responder given'})`,
      );
    }
    const what = `the ${challenge.type} challenge for ${name}`;
    await withAcmeCall(
      agent,
      async () => {
        const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
        let cleanup: () => void | Promise<void>;
        if (challenge.type === 'http-01') {
          const token = (challenge as { token: string }).token;
          await options.http01!.set(token, keyAuthorization);
          cleanup = () => options.http01!.remove(token);
        } else {
          const [key, certificate] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization);
          await options.tlsAlpn01!.set(name, { certificate: certificate.toString(), key: key.toString() });
          cleanup = () => options.tlsAlpn01!.remove(name);
        }
        try {
          await client.completeChallenge(challenge);
          await client.waitForValidStatus(challenge);
        } finally {
          await cleanup();
        }
      },
      (err, problem) => acmeError(what, names, err, problem, true),
    );
  }

  return {
    directoryUrl,

    async obtain(requested) {
      const names = normalizeNames(requested);
      const { acme, client } = await connect();
      const forNames = `for ${names.join(', ')}`;
      const order = await withAcmeCall(
        agent,
        () => client.createOrder({ identifiers: names.map((value) => ({ type: 'dns', value })) }),
        (err, problem) => acmeError(`placing the order ${forNames}`, names, err, problem),
      );
      const authorizations = await withAcmeCall(
        agent,
        () => client.getAuthorizations(order),
        (err, problem) => acmeError(`reading the authorizations ${forNames}`, names, err, problem),
      );
      // Every name's challenge runs to its end (its answer is then taken away); the first failure is reported.
      const results = await Promise.allSettled(authorizations.map((a) => answer(acme, client, a, names)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const { privateKey: key } = generateKeyPairSync('ec', {
        namedCurve: 'P-256',
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      const certificate = await withAcmeCall(
        agent,
        async () => {
          const [, csr] = await acme.crypto.createCsr({ commonName: names[0], altNames: names }, key);
          const finalized: Order = await client.finalizeOrder(order, csr);
          return client.getCertificate(finalized);
        },
        (err, problem) => acmeError(`finalizing the order ${forNames}`, names, err, problem),
      );
      const leaf = describeLeaf(certificate);
      return {
        names,
        certificate,
        key,
        issuer: leaf.issuer,
        serial: leaf.serial,
        notBefore: leaf.notBefore,
        notAfter: leaf.notAfter,
        directoryUrl,
      };
    },

    async revoke(certificatePem, reason = 'unspecified') {
      const { client } = await connect();
      const leaf = describeLeaf(certificatePem);
      await withAcmeCall(
        agent,
        () => client.revokeCertificate(certificatePem, { reason: REVOCATION_REASONS[reason] }),
        (err, problem) =>
          acmeError(
            `revoking the certificate ${leaf.serial} (${leaf.dnsNames.join(', ')})`,
            leaf.dnsNames,
            err,
            problem,
          ),
      );
    },
  };
}

/** Lowercased, without duplicates, in the given order; at least one. */
export function normalizeNames(names: readonly string[]): string[] {
  const out = [...new Set(names.map((n) => n.trim().toLowerCase().replace(/\.$/, '')))].filter(Boolean);
  if (out.length === 0)
    throw new AcmeError('rejected-name', [], null, 'a certificate needs at least one name');
  return out;
}
