import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError } from '../../core/errors.js';
import { FrontDoor } from '../../router/front-door.js';
import type { Router } from '../../router/router.js';
import { CertificateStore, type CertificateFiles } from '../../router/tls/certificate-store.js';
import type { FrontDoorRouteSpec } from '../protocol.js';
import type { SavedFrontDoor } from './route-records.js';

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
  #store: CertificateStore | null = null;

  constructor(
    private readonly certDir: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

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
    return { names, pathPrefix, httpPort, httpsPort, bindAddress, certificates };
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
        });
        this.#doors.set(doorKey, frontDoor);
      }
      frontDoor.attach({ id: key, names: door.names, pathPrefix: door.pathPrefix }, router);
    } catch (err) {
      if (previousCerts === undefined) this.#certificates.delete(key);
      else this.#certificates.set(key, previousCerts);
      await this.#configureStore().catch(() => undefined);
      await this.#closeIfEmpty(doorKey);
      throw err;
    }
    if (previousDoor !== undefined && previousDoor !== doorKey) await this.#detachFrom(key, previousDoor, 0);
    this.#attached.set(key, doorKey);
  }

  /** Takes route `key` off its front door (its in-flight requests finish within `timeoutMs`). */
  async detach(key: string, timeoutMs = 30_000): Promise<void> {
    const doorKey = this.#attached.get(key);
    this.#attached.delete(key);
    if (this.#certificates.delete(key)) await this.#configureStore().catch(() => undefined);
    if (doorKey !== undefined) await this.#detachFrom(key, doorKey, timeoutMs);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#doors.values()].map((d) => d.close()));
    this.#doors.clear();
    this.#store?.close();
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

function doorKeyOf(door: SavedFrontDoor): string {
  return `${door.httpPort}|${door.httpsPort}|${door.bindAddress}`;
}

/** Written whole (a temp file renamed), readable by the agent's user only. */
async function writePrivate(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp`;
  await rm(temp, { force: true });
  await writeFile(temp, text, { mode: 0o600 });
  await rename(temp, path);
}
