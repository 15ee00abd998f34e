import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { systemClock } from '../core/clock.js';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { lookupSecretValue } from '../config/resolve-env.js';
import { DEFAULTS } from '../config/defaults.js';
import { defaultActor, type ControlPlane } from './control-plane.js';
import { createSecretLoader, type LoadSecrets } from './secret-loader.js';
import { loadFingerprintKey } from './load-fingerprint-key.js';
import { deriveSecretFingerprints } from '../core/secret-fingerprint.js';
import type { Host } from '../hosts/host.js';
import { LocalHost } from '../hosts/local-host.js';
import type { SshHostSettings } from '../hosts/ssh-host.js';
import { parseDurationMs } from '../core/duration.js';
import {
  describeStoreLocation,
  openStore,
  parseStoreUrl,
  type Store,
  type StoreLocation,
} from '../store/index.js';
import { Notifier } from '../notify/notifier.js';
import { withNotifications } from '../notify/with-notifications.js';

/** How to open a project: where its slipway.yml, state and store are. The CLI's global flags give them. */
export interface ProjectOptions {
  /** The path of slipway.yml (default: found from the current directory). */
  config?: string;
  /** The state directory (default: `.slipway` beside slipway.yml). */
  stateDir?: string;
  /** A postgres:// URL for the store (else SLIPWAY_STORE_URL, else the SQLite file in the state directory). */
  store?: string;
  /** Record the key of an SSH host seen for the first time (`slipway setup --trust-new-hosts`). */
  trustNewHosts?: boolean;
}

export interface Project extends ControlPlane {
  loaded: LoadedConfig;
  stateDir: string;
  /** Where the store is, for people: the SQLite file, or the PostgreSQL URL without its password. */
  storeWhere: string;
  local: LocalHost;
  close(): Promise<void>;
}

/** The state directory: the one given (--state-dir), else `.slipway` beside slipway.yml. */
export function resolveStateDir(options: ProjectOptions, projectDir: string): string {
  return resolve(options.stateDir ?? join(projectDir, DEFAULTS.stateDir));
}

/**
 * The store: the URL given (--store), else SLIPWAY_STORE_URL (PostgreSQL), else `slipway.db` in the state
 * directory (SQLite).
 */
export function resolveStoreLocation(
  options: ProjectOptions,
  stateDir: string,
  env: NodeJS.ProcessEnv,
): StoreLocation {
  if (options.store !== undefined) return parseStoreUrl(options.store, '--store');
  const fromEnv = env.SLIPWAY_STORE_URL;
  if (fromEnv) return parseStoreUrl(fromEnv, 'SLIPWAY_STORE_URL');
  return { kind: 'sqlite', file: join(stateDir, 'slipway.db') };
}

/**
 * Loads slipway.yml and wires the store and the hosts: everything a verb or the server needs. The store opens on
 * first use (a verb that only talks to hosts never opens it), and the SSH client's code loads only for a project
 * with SSH hosts. The caller closes it.
 */
export async function openProject(options: ProjectOptions): Promise<Project> {
  const loaded = await loadConfig(options.config);
  const stateDir = resolveStateDir(options, loaded.dir);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // One scope of fetched secrets for this CLI run; a server job or request gets its own (actingAs).
  const newSecretLoader = (): LoadSecrets =>
    createSecretLoader({ config: loaded.config, stateDir, projectDir: loaded.dir, processEnv: process.env });
  const loadSecrets = newSecretLoader();
  let fingerprintKey: Promise<Buffer> | undefined;
  const storeLocation = resolveStoreLocation(options, stateDir, process.env);
  const actor = process.env.SLIPWAY_USER ?? process.env.SLIPWAY_ACTOR ?? defaultActor();
  let notifier: Notifier | null = null;
  const store = storeOpenedOnFirstUse(async () => {
    const ledgerStore = await openStore(storeLocation);
    notifier = createNotifier(loaded, loadSecrets, ledgerStore, actor);
    return notifier ? withNotifications(ledgerStore, notifier) : ledgerStore;
  });
  const local = new LocalHost(join(stateDir, 'agent'));
  const hosts = new Map<string, Host>([['local', local]]);
  const hasSshHosts = Object.values(loaded.config.environments).some((env) =>
    [...env.hosts, ...(env.edge ? [env.edge.host] : [])].some((host) => host !== 'local'),
  );
  const SshHost = hasSshHosts ? (await import('../hosts/ssh-host.js')).SshHost : null;
  for (const [environment, env] of Object.entries(loaded.config.environments)) {
    const settings: SshHostSettings = {
      knownHostsFile: resolve(loaded.dir, env.ssh.knownHosts ?? join(stateDir, 'known_hosts', environment)),
      trustNewHosts: options.trustNewHosts ?? false,
      connectTimeoutMs: parseDurationMs(env.ssh.connectTimeout) ?? 10_000,
      ...(env.ssh.jumpHost ? { jumpHost: env.ssh.jumpHost } : {}),
      projectDir: loaded.dir,
      environment,
    };
    for (const host of [...env.hosts, ...(env.edge ? [env.edge.host] : [])]) {
      if (SshHost && host !== 'local' && !hosts.has(host.name))
        hosts.set(host.name, new SshHost(host, settings));
    }
  }
  return {
    loaded,
    config: loaded.config,
    stateDir,
    storeWhere: describeStoreLocation(storeLocation),
    projectDir: loaded.dir,
    store,
    hosts,
    local,
    clock: systemClock,
    actor,
    randomSuffix: () => randomBytes(3).toString('hex'),
    loadSecrets,
    freshSecrets: newSecretLoader,
    fingerprintSecrets: async (environment, secrets) => {
      fingerprintKey ??= loadFingerprintKey(stateDir);
      return deriveSecretFingerprints(await fingerprintKey, { app: loaded.config.app, environment }, secrets);
    },
    close: async () => {
      await notifier?.flush();
      await Promise.all([...hosts.values()].map((h) => h.close()));
      await store.close();
    },
  };
}

/**
 * A store that opens on the first call of one of its functions (every one returns a promise, so the caller
 * cannot tell). Closing a store that never opened does nothing.
 */
function storeOpenedOnFirstUse(open: () => Promise<Store>): Store {
  let opening: Promise<Store> | null = null;
  const functions = new Map<string | symbol, unknown>();
  const call =
    (key: string) =>
    async (...args: unknown[]) => {
      opening ??= open();
      const store = await opening;
      return (store[key as keyof Store] as (...a: unknown[]) => unknown).apply(store, args);
    };
  const close = async (): Promise<void> => {
    const opened = await opening?.catch(() => null);
    await opened?.close();
  };
  return new Proxy({} as Store, {
    get(_target, key) {
      // `then` stays undefined: the store is not a promise (awaiting it must not call it).
      if (typeof key !== 'string' || key === 'then') return undefined;
      if (key === 'close') return close;
      if (!functions.has(key)) functions.set(key, call(key));
      return functions.get(key);
    },
  });
}

/** Notifications go out from the ledger itself, so every verb that records an event notifies. */
function createNotifier(
  loaded: LoadedConfig,
  loadSecrets: LoadSecrets,
  ledger: Store,
  actor: string,
): Notifier | null {
  const config = loaded.config.notifications;
  if (config.channels.length === 0) return null;
  return new Notifier({
    config,
    app: loaded.config.app,
    ledger,
    clock: systemClock,
    actor,
    resolveSecret: async (environment, name) =>
      environment
        ? (await loadSecrets(environment, [name])).get(name)?.reveal()
        : lookupSecretValue(process.env, name),
  });
}
