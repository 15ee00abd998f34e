import type { RuntimeSet } from '../runtime/runtime-set.js';
import { targetSecretValues } from '../runtime/target-secrets.js';
import type { HandlerContext } from './control-server.js';
import { scanLogs } from './log-scan.js';
import type { MonitorMethod } from './monitor-protocol.js';
import type { RouteStatus } from './protocol.js';

/** Sends the last `lines` of each target's logs, then (with `follow`) new lines until the client goes. */
export async function streamTargetLogs(
  runtimes: RuntimeSet,
  ids: readonly string[],
  options: { lines: number; follow: boolean },
  ctx: HandlerContext,
): Promise<void> {
  // A stopped process target's logs stay on disk: the process runtime reads them for unknown ids.
  const from = (id: string) => {
    const process = runtimes.get(id)?.spec.process;
    return process ? { targetId: id, process } : { targetId: id };
  };
  for (const id of ids) {
    const source = from(id);
    for (const { stream, line } of await runtimes.owner(id).readLogs(id, options.lines)) {
      ctx.emit({ ...source, stream, line });
    }
  }
  if (!options.follow) return;
  await Promise.all(
    ids.map((id) => {
      const source = from(id);
      return runtimes
        .owner(id)
        .followLogs(id, ({ stream, line }) => ctx.emit({ ...source, stream, line }), ctx.signal);
    }),
  );
}

/** The log lines of an app's targets matching monitoring's patterns since the offsets it last saw. */
export function scanAppLogs(
  logsDir: string,
  runtimes: RuntimeSet,
  logScan: NonNullable<MonitorMethod['params']['logScan']> | undefined,
): ReturnType<typeof scanLogs> {
  if (!logScan) return Promise.resolve({ matches: [], offsets: {} });
  const targets = runtimes
    .list()
    .filter((t) => t.spec.app === logScan.app)
    .map((t) => ({ id: t.spec.id, release: t.spec.release, secrets: targetSecretValues(t) }));
  return scanLogs(logsDir, targets, logScan.patterns, logScan.offsets);
}

/**
 * The targets whose logs `slipway logs` shows by default: the active one first, then the others of the app; with
 * `process`, only that process's (`web`: the targets without a process).
 */
export function defaultLogTargets(
  app: string,
  routes: readonly RouteStatus[],
  runtimes: RuntimeSet,
  process?: string,
): string[] {
  const active = routes.find((r) => r.app === app)?.active ?? null;
  const of = (id: string): boolean =>
    process === undefined || (runtimes.get(id)?.spec.process?.name ?? 'web') === process;
  const others = runtimes
    .list()
    .filter((t) => t.spec.app === app && t.spec.id !== active)
    .map((t) => t.spec.id);
  return (active ? [active, ...others] : others).filter(of);
}
