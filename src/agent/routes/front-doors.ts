import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, InputError, NotFoundError, SlipwayError } from '../../core/errors.js';
import { FrontDoor } from '../../router/front-door.js';
import type { Router } from '../../router/router.js';
import { CertificateStore, type CertificateFiles } from '../../router/tls/certificate-store.js';
import type { AgentMethods, FrontDoorRouteSpec } from '../protocol.js';
import { writePrivate } from './acme-served-files.js';
import { FrontDoorAcme } from './front-door-acme.js';
import type { SavedFrontDoor } from './route-records.js';

export interface FrontDoorsOptions {
  /** Where the certificates sent by the control plane are written (0600). */
  certDir: string;
  /** Where ACME accounts and certificates are kept (0600). */
  acmeDir: string;
  log?: (line: string) => void;
  /** Journal an event about a route (certificates obtained, renewed, failed). */
  event?: (kind: string, key: string, message: string, data?: Record<string, unknown>) => void;
  /** A route's ACME certificate was renewed and is served: its saved front door now names these files. */
  renewed?: (key: string, door: SavedFrontDoor) => Promise<void>;
}

/**
 * The host's front doors: one FrontDoor per (HTTP port, HTTPS port, bind address), opened when the first route
 * needs it and closed when its last route leaves, and one CertificateStore shared by all of them (a name's
 * certificate is chosen by SNI among every route's certificates). A route's router is the same Router that
 * listens on its publicPort: attached here, it serves both, so a switch or a canary split applies to both.
 */
export class FrontDoors {
  readonly #doors = new Map<string, FrontDoor>();
  /** Which door each route is attached to (route key → door key). */
  readonly #attached = new Map<string, string>();
  /** Every route's certificate files (route key → files), all served by the one store. */
  readonly #certificates = new Map<string, CertificateFiles[]>();
  /** The saved front door of every attached route. */
  readonly #saved = new Map<string, SavedFrontDoor>();
  #store: CertificateStore | null = null;
  readonly #acme: FrontDoorAcme;
  readonly certDir: string;
  readonly log: (line: string) => void;

  constructor(private readonly options: FrontDoorsOptions) {
    this.certDir = options.certDir;
    this.log = options.log ?? (() => {});
    this.#acme = new FrontDoorAcme(options.acmeDir, {
      event: (kind, key, message, data) => (options.event ?? (() => {}))(kind, key, message, data),
      renewed: async (key, files) => {
        await this.#renewed(key, files);
      },
    });
  }

  /** Writes a route's certificates (0600) under the certificate directory; the saved form names the files. */
  async save(key: string, spec: FrontDoorRouteSpec): Promise<SavedFrontDoor> {
    await mkdir(this.certDir, { recursive: true, mode: 0o700 });
    const base = createHash('sha256').update(key).digest('hex').slice(0, 16);
    const certificates = await Promise.all(
      spec.certificates.map(async (c, i) => {
        const digest = createHash('sha256').update(c.cert).update(c.key).digest('hex').slice(0, 12);
        const certFile = join(this.certDir, `${base}-${i}-${digest}.pem`);
        const keyFile = join(this.certDir, `${base}-${i}-${digest}.key`);
        await writePrivate(certFile, c.cert);
        await writePrivate(keyFile, c.key);
        return { certFile, keyFile };
      }),
    );
    const { names, pathPrefix, httpPort, httpsPort, bindAddress } = spec;
    const acme = spec.acme ?? null;
    // With ACME, the certificate stored for these names, if it is still good (else `obtain` gets one). A shared
    // one (obtained by the control plane) is served from `certificates` like files: no order here.
    if (acme !== null && acme.shared !== true) {
      const stored = await this.#acme.current(key, names, acme);
      if (stored !== null) certificates.push(stored);
    }
    return {
      names,
      pathPrefix,
      httpPort,
      httpsPort,
      bindAddress,
      certificates,
      ...(acme === null ? {} : { acme }),
      ...(spec.redirect === undefined ? {} : { redirect: spec.redirect }),
      ...(spec.hsts === undefined || spec.hsts === null ? {} : { hsts: spec.hsts }),
    };
  }

  /**
   * Obtains route `key`'s certificate from its ACME CA now (its front door, attached, answers the challenges)
   * and serves it; the saved door, with the certificate's files, is returned. Throws, saying what the CA said
   * and when the next attempt is, and then the route is served over plain HTTP until an attempt succeeds.
   */
  async obtain(key: string, door: SavedFrontDoor): Promise<SavedFrontDoor> {
    if (door.acme === undefined || door.acme.shared === true) return door; // shared: the control plane's
    let files;
    try {
      files = await this.#acme.obtain(key, door.names, door.acme);
    } catch (err) {
      this.#acme.watch(key, door.names, door.acme); // tried again after the back-off
      throw new SlipwayError(
        `no certificate for ${door.names.join(', ')} from ${door.acme.directoryUrl}: ${err instanceof Error ? err.message : String(err)}`,
        {
          hint: `the CA must reach this host's front door under each name on port 80 (HTTP-01) or 443 (TLS-ALPN-01), here :${door.httpPort}/:${door.httpsPort}: check the names' DNS records and the firewall. Until a certificate is obtained (retried in the background) the names are served over plain HTTP`,
        },
      );
    }
    this.#acme.watch(key, door.names, door.acme);
    return this.#renewed(key, files);
  }

  /**
   * A new ACME certificate for route `key` now (`slipway certificates renew`), even while the one it serves is
   * good; with `revoke`, the one it serves is revoked at the CA first. The new one is served for new handshakes
   * (connections open on the old one go on) and the saved door names its files. Throws what the CA said.
   */
  async renewCertificate({
    key,
    revoke,
    reason,
    requestedBy,
  }: RenewCertificate['params']): Promise<RenewCertificate['result']> {
    const door = this.#saved.get(key);
    if (door === undefined) {
      throw new NotFoundError(`${key} is not on this host's front door`, {
        hint: 'deploy the environment first; `slipway status` shows what its hosts serve',
      });
    }
    if (door.acme === undefined) {
      throw new InputError(`${key} serves certificate files (tls.certificates), not certificates from ACME`, {
        hint: 'replace the files and deploy again',
      });
    }
    if (door.acme.shared === true) {
      throw new InputError(`${key} serves a certificate the control plane obtains (acme.shared)`, {
        hint: 'the control plane renews it for the fleet and sends it to every host',
      });
    }
    this.#acme.watch(key, door.names, door.acme); // its certificate events name the route
    const options = {
      revoke: revoke ? (reason ?? 'unspecified') : null,
      requestedBy: requestedBy ?? 'unknown',
    };
    let replaced;
    try {
      replaced = await this.#acme.replace(key, door.names, door.acme, options);
    } catch (err) {
      throw new SlipwayError(
        `no new certificate for ${door.names.join(', ')} from ${door.acme.directoryUrl}: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
          hint:
            (err as SlipwayError).hint ??
            `the certificate in place keeps serving; the CA must reach this host's front door under each name on port 80 (HTTP-01) or 443 (TLS-ALPN-01), here :${door.httpPort}/:${door.httpsPort}`,
        },
      );
    }
    await this.#renewed(key, replaced.files);
    const summary = (c: { serial: string; notAfter: string; issuer: string }) => ({
      serial: c.serial,
      notAfter: c.notAfter,
      issuer: c.issuer,
    });
    return {
      key,
      names: door.names,
      previous: replaced.previous && summary(replaced.previous),
      current: summary(replaced.current),
      revoked: options.revoke !== null,
    };
  }

  /**
   * Attaches `router` as route `key` for `door`'s names (replacing what it had). All or nothing: certificates
   * that do not load, a name another route holds, or a port that cannot be opened change nothing.
   */
  async attach(key: string, router: Router, door: SavedFrontDoor): Promise<void> {
    const doorKey = doorKeyOf(door);
    const previousDoor = this.#attached.get(key);
    const previousCerts = this.#certificates.get(key);
    const files = door.certificates.map((c, i) => ({ ...c, id: `${key}#${i}` }));
    this.#certificates.set(key, files);
    try {
      await this.#configureStore();
      let frontDoor = this.#doors.get(doorKey);
      if (frontDoor === undefined) {
        this.#refuseOtherPorts(key, door);
        frontDoor = await FrontDoor.listen({
          port: door.httpPort,
          host: door.bindAddress,
          tls: { port: door.httpsPort, store: await this.#storeOrLoad() },
          acme: { http01: this.#acme.http01, tlsAlpn01: this.#acme.tlsAlpn01 },
        });
        this.#doors.set(doorKey, frontDoor);
      }
      frontDoor.attach(
        {
          id: key,
          names: door.names,
          pathPrefix: door.pathPrefix,
          redirect: door.redirect ?? true,
          hsts: door.hsts ?? null,
        },
        router,
      );
    } catch (err) {
      if (previousCerts === undefined) this.#certificates.delete(key);
      else this.#certificates.set(key, previousCerts);
      await this.#configureStore().catch(() => undefined);
      await this.#closeIfEmpty(doorKey);
      throw err;
    }
    if (previousDoor !== undefined && previousDoor !== doorKey) await this.#detachFrom(key, previousDoor, 0);
    this.#attached.set(key, doorKey);
    this.#saved.set(key, door);
    // Renewal is watched once there is a certificate (`obtain` watches after its first attempt).
    if (door.acme === undefined || door.acme.shared === true) this.#acme.forget(key);
    else if (door.certificates.length > 0) this.#acme.watch(key, door.names, door.acme);
  }

  /** Sets (or, with null, removes) an HTTP-01 answer that every front door of the host serves (`acme.shared`). */
  acmeChallenge({ token, keyAuthorization }: AcmeChallenge['params']): Promise<AcmeChallenge['result']> {
    // Through a promise: a bad token or key authorization rejects (a handler must not throw).
    return Promise.resolve().then(() => {
      this.#acme.answerHttp01(token, keyAuthorization);
      return { ok: true as const };
    });
  }

  /** Serves a route's new ACME certificate (instead of its previous one) and tells the route table. */
  async #renewed(key: string, files: { certFile: string; keyFile: string }): Promise<SavedFrontDoor> {
    const door = this.#saved.get(key);
    if (door === undefined) throw new SlipwayError(`the route ${key} is not on a front door any more`);
    const before = this.#certificates.get(key);
    this.#certificates.set(key, [{ ...files, id: `${key}#0` }]);
    try {
      await this.#configureStore();
    } catch (err) {
      if (before === undefined) this.#certificates.delete(key);
      else this.#certificates.set(key, before);
      throw err;
    }
    const renewed = { ...door, certificates: [files] };
    this.#saved.set(key, renewed);
    await this.options.renewed?.(key, renewed);
    return renewed;
  }

  /** Takes route `key` off its front door (its in-flight requests finish within `timeoutMs`). */
  async detach(key: string, timeoutMs = 30_000): Promise<void> {
    const doorKey = this.#attached.get(key);
    this.#attached.delete(key);
    this.#saved.delete(key);
    this.#acme.forget(key);
    if (this.#certificates.delete(key)) await this.#configureStore().catch(() => undefined);
    if (doorKey !== undefined) await this.#detachFrom(key, doorKey, timeoutMs);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#doors.values()].map((d) => d.close()));
    this.#doors.clear();
    this.#store?.close();
    this.#acme.close();
  }

  async #detachFrom(key: string, doorKey: string, timeoutMs: number): Promise<void> {
    const door = this.#doors.get(doorKey);
    if (door === undefined) return;
    const result = await door.detach(key, { timeoutMs });
    if (!result.drained) this.log(`front door: ${key} detached with ${result.inFlight} requests in flight`);
    await this.#closeIfEmpty(doorKey);
  }

  async #closeIfEmpty(doorKey: string): Promise<void> {
    const door = this.#doors.get(doorKey);
    if (door === undefined || door.routes().length > 0) return;
    this.#doors.delete(doorKey);
    await door.close();
  }

  /** Another app opened this host's front door on other ports on this address: one host has one front door. */
  #refuseOtherPorts(key: string, door: SavedFrontDoor): void {
    for (const [routeKey, doorKey] of this.#attached) {
      const [http, https, bind] = doorKey.split('|');
      if (routeKey === key || bind !== door.bindAddress) continue;
      if (http === String(door.httpPort) && https === String(door.httpsPort)) continue;
      throw new ConflictError(
        `the front door of this host is on ports ${http}/${https} (opened for ${routeKey}), not ${door.httpPort}/${door.httpsPort}`,
        { hint: 'every app and environment on a host gives its frontDoor the same ports' },
      );
    }
  }

  async #storeOrLoad(): Promise<CertificateStore> {
    this.#store ??= await CertificateStore.load({
      certificates: this.#allFiles(),
      watch: false,
      recheckMs: 0,
    });
    return this.#store;
  }

  async #configureStore(): Promise<void> {
    if (this.#store === null) await this.#storeOrLoad();
    else await this.#store.configure(this.#allFiles(), null);
  }

  #allFiles(): CertificateFiles[] {
    return [...this.#certificates.values()].flat();
  }
}

type RenewCertificate = AgentMethods['renewCertificate'];
type AcmeChallenge = AgentMethods['acmeChallenge'];

function doorKeyOf(door: SavedFrontDoor): string {
  return `${door.httpPort}|${door.httpsPort}|${door.bindAddress}`;
}
