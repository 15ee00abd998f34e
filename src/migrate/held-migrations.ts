import type { LedgerRepository } from '../store/index.js';
import { loadFreeze } from './freeze.js';

interface EventLike {
  seq: number;
  kind: string;
  data: unknown;
}

/** Contract migrations held by the newest `migration.held` event and not applied since. Pure. */
export function deriveHeldMigrations(events: readonly EventLike[]): string[] {
  const held = events.filter((e) => e.kind === 'migration.held').sort((a, b) => b.seq - a.seq)[0];
  if (!held) return [];
  const names = (held.data as { names?: unknown } | null)?.names;
  const applied = new Set(
    events
      .filter((e) => e.kind === 'migration.applied' && e.seq > held.seq)
      .map((e) => (e.data as { name?: unknown } | null)?.name),
  );
  return Array.isArray(names)
    ? names.filter((n): n is string => typeof n === 'string' && !applied.has(n))
    : [];
}

/** What `slipway status` says about the app's database, from the ledger alone (no connection to it). */
export async function loadDatabaseLedgerStatus(
  store: LedgerRepository,
  app: string,
  environment: string,
): Promise<{ frozen: string | null; held: string[] }> {
  const events = await store.listEvents({
    app,
    environment,
    kinds: ['migration.held', 'migration.applied'],
    limit: 200,
  });
  const freeze = await loadFreeze(store, app, environment);
  return { frozen: freeze.frozen ? (freeze.message ?? '') : null, held: deriveHeldMigrations(events) };
}
