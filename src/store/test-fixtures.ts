// Builders and a temp-dir harness shared by the store's tests (not part of the store's API).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { NewDeployment } from './deployments.js';
import type { NewLedgerEvent } from './ledger.js';
import type { LockRequest } from './locks.js';
import { openSqliteStore } from './open-store.js';
import type { NewRelease } from './releases.js';
import type { Store } from './store.js';

export const T0 = Date.UTC(2025, 0, 15, 9, 30);

/** Registers cleanup for every temp dir and store made through it; call at the top of a test file. */
export function useTempStores(): {
  makeDir(): string;
  open(file?: string): Promise<Store>;
  storeFile(): string;
} {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const makeDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-store-'));
    dirs.push(dir);
    return dir;
  };
  const storeFile = () => path.join(makeDir(), '.slipway', 'store.db');
  return {
    makeDir,
    storeFile,
    async open(file = storeFile()) {
      const store = await openSqliteStore(file);
      stores.push(store);
      return store;
    },
  };
}

export function aRelease(overrides: Partial<NewRelease> = {}): NewRelease {
  return {
    app: 'shop',
    version: '1.0.0',
    sha256: 'a'.repeat(64),
    artifactPath: '.slipway/releases/shop-1.0.0.tar.gz',
    sizeBytes: 1234,
    config: { port: 3000, env: { NODE_ENV: 'production' } },
    createdBy: 'ada@laptop',
    createdAtMs: T0,
    ...overrides,
  };
}

export function aDeployment(overrides: Partial<NewDeployment> = {}): NewDeployment {
  return {
    id: 'd-0001',
    app: 'shop',
    environment: 'production',
    kind: 'deploy',
    releaseVersion: '1.0.0',
    previousVersion: null,
    strategy: 'blue-green',
    plan: { stages: [{ kind: 'start-target' }, { kind: 'switch-traffic' }] },
    createdBy: 'ada@laptop',
    createdAtMs: T0,
    ...overrides,
  };
}

export function anEvent(overrides: Partial<NewLedgerEvent> = {}): NewLedgerEvent {
  return {
    atMs: T0,
    actor: 'ada@laptop',
    app: 'shop',
    environment: 'production',
    kind: 'deploy.started',
    message: 'deploying 1.0.0',
    ...overrides,
  };
}

export function aLockRequest(overrides: Partial<LockRequest> = {}): LockRequest {
  return {
    app: 'shop',
    environment: 'production',
    holder: 'ada@laptop',
    pid: 4242,
    hostname: 'laptop',
    deploymentId: 'd-0001',
    atMs: T0,
    ...overrides,
  };
}
