import { SlipwayError } from '../core/errors.js';
import type { LedgerRepository } from '../store/index.js';

export const FREEZE_KINDS = ['environment.frozen', 'environment.unfrozen'] as const;

export class EnvironmentFrozenError extends SlipwayError {}

/** An environment is frozen while its newest freeze event is `environment.frozen` (the ledger is the record). */
export async function loadFreeze(
  store: LedgerRepository,
  app: string,
  environment: string,
): Promise<{ frozen: boolean; message: string | null; atMs: number | null }> {
  const [latest] = await store.listEvents({ app, environment, kinds: FREEZE_KINDS, limit: 1 });
  if (!latest || latest.kind !== 'environment.frozen') return { frozen: false, message: null, atMs: null };
  return { frozen: true, message: latest.message, atMs: latest.atMs };
}

export async function refuseIfFrozen(
  store: LedgerRepository,
  app: string,
  environment: string,
): Promise<void> {
  const freeze = await loadFreeze(store, app, environment);
  if (!freeze.frozen) return;
  throw new EnvironmentFrozenError(`environment ${environment} is frozen: ${freeze.message ?? ''}`, {
    hint: `once the database and the code agree again (a backup restored with "slipway db restore ${environment} --backup <id>", or a fix ready to deploy forward): "slipway db unfreeze ${environment} --reason …"`,
  });
}

export async function recordFreeze(
  store: LedgerRepository,
  e: {
    app: string;
    environment: string;
    actor: string;
    atMs: number;
    release: string | null;
    message: string;
    data: unknown;
  },
): Promise<void> {
  const base = { atMs: e.atMs, actor: e.actor, app: e.app, environment: e.environment, release: e.release };
  await store.appendEvent({ ...base, kind: 'environment.frozen', message: e.message, data: e.data });
  await store.appendEvent({
    ...base,
    kind: 'alert.raised',
    message: `ALERT: ${e.environment} frozen: ${e.message}`,
    data: e.data,
  });
}
