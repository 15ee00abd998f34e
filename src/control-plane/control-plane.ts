import { hostname, userInfo } from 'node:os';
import type { Clock } from '../core/clock.js';
import type { Secret } from '../core/secret.js';
import type { SlipwayConfig } from '../config/schema.js';
import type { Host } from '../hosts/host.js';
import type { Store } from '../store/index.js';

/**
 * The wired-up ports every operation works through: the config, the store, the hosts, a clock and who acts. The CLI
 * and the server each build one; everything below (operations, executor, monitor, migrate) only reads it.
 */
export interface ControlPlane {
  config: SlipwayConfig;
  store: Store;
  hosts: ReadonlyMap<string, Host>;
  clock: Clock;
  actor: string;
  /** Secret values for an environment, looked up by name (values never leave this map except into targets). */
  loadSecrets(environment: string, names: readonly string[]): Promise<Map<string, Secret>>;
  /**
   * A `loadSecrets` with a scope of its own: a secret's command runs once per scope (a CLI run, a server job or
   * request), so a server does not keep a value fetched for one job for the next. Absent: `loadSecrets` is kept.
   */
  freshSecrets?(): ControlPlane['loadSecrets'];
  /**
   * Keyed fingerprints of secret values (HMAC with a key that stays in the control plane's state directory), by
   * name; absent: deployments record none.
   */
  fingerprintSecrets?(
    environment: string,
    secrets: ReadonlyMap<string, Secret>,
  ): Promise<Record<string, string>>;
  /** A few random characters for ids (randomness stays out of pure code). */
  randomSuffix(): string;
  /** Where backups of the app's database are kept (under `backups/`). */
  stateDir: string;
  /** The directory of slipway.yml (verification commands run there); default: the current directory. */
  projectDir?: string;
}

/** Who acts when nobody says: `user@machine` of this process. */
export function defaultActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}

/** The same control plane acting for someone else (a server's request or job): the ledger records them. */
export function actingAs<T extends ControlPlane>(cp: T, actor: string): T {
  return { ...cp, actor, ...(cp.freshSecrets ? { loadSecrets: cp.freshSecrets() } : {}) };
}
