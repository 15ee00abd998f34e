import type { MaintenanceStatus } from '../agent/maintenance-method.js';
import { SlipwayError } from '../core/errors.js';
import type { MaintenanceView } from '../operations/derive-maintenance-status.js';
import type { MaintenanceOutcome } from '../operations/maintenance.js';
import { MAINTENANCE_BYPASS_COOKIE, MAINTENANCE_BYPASS_HEADER } from '../router/maintenance.js';
import { bold, dim, green, red, yellow } from './progress-renderer.js';

const whereOf = (h: { host: string; edge: boolean }): string => (h.edge ? `edge ${h.host}` : h.host);

/**
 * `maintenance on|off`'s answer, here or over --server: what changed where, the testers' token (on, printed only
 * now), and a failure per host that could not be changed, which then fails the command (exit 1).
 */
export function printMaintenanceOutcome(outcome: MaintenanceOutcome, healthPath: string | null): void {
  const changed = outcome.hosts.filter((h) => h.ok).map(whereOf);
  const failed = outcome.hosts.filter((h) => !h.ok);
  const current = outcome.hosts.find((h) => h.ok && h.current !== null);
  if (changed.length > 0) {
    const spec = current?.ok ? current.current : null;
    process.stdout.write(
      green(
        outcome.on
          ? `✔ maintenance of ${outcome.environment} on at ${changed.join(', ')}: users get 503${spec ? ` "${spec.message}" (Retry-After ${spec.retryAfterS} s)` : ''}\n`
          : `✔ maintenance of ${outcome.environment} off at ${changed.join(', ')}: users reach the app again\n`,
      ),
    );
  }
  if (outcome.on && outcome.token !== null && changed.length > 0) {
    const path = healthPath ?? (current?.ok ? current.current?.healthPath : null) ?? null;
    process.stdout.write(
      `  still reaching the app: ${path ? `${path} (health checks), and ` : ''}testers sending\n` +
        `    ${MAINTENANCE_BYPASS_HEADER}: ${bold(outcome.token)}\n` +
        `  or the cookie ${MAINTENANCE_BYPASS_COOKIE}=${outcome.token}\n` +
        dim(
          `  the token is shown only now; "maintenance on" again changes the message and gives a new one\n`,
        ),
    );
  }
  for (const h of failed)
    if (!h.ok)
      process.stderr.write(red(`✖ ${whereOf(h)}: ${h.error}\n`) + (h.hint ? dim(`  ${h.hint}\n`) : ''));
  if (failed.length > 0)
    throw new SlipwayError(
      `maintenance of ${outcome.environment} is ${outcome.on ? 'not on' : 'still on'} at ${failed.map(whereOf).join(', ')}`,
      {
        hint: `fix what is said above, then run "slipway maintenance ${outcome.on ? 'on' : 'off'} ${outcome.environment}" again`,
      },
    );
}

/** One line (and the hosts when they differ) for `slipway status` and `slipway maintenance status`. */
export function formatMaintenanceView(view: MaintenanceView, now: number): string[] {
  if (view.state === 'off') return view.unknown.length > 0 ? [`  maintenance: off (${unknownOf(view)})`] : [];
  const lines = [
    `  ${red(`maintenance: ${view.state === 'on' ? 'ON' : 'PARTLY ON'}`)}${describeSpec(view.current, now)}`,
  ];
  if (view.state === 'partly')
    lines.push(
      yellow(
        `    on at ${view.on.join(', ')}; off at ${view.off.join(', ')} (slipway maintenance on|off again)`,
      ),
    );
  if (view.unknown.length > 0) lines.push(dim(`    ${unknownOf(view)}`));
  return lines;
}

function describeSpec(spec: MaintenanceStatus | null, now: number): string {
  if (spec === null) return '';
  const ago = Math.max(0, Math.round((now - spec.sinceMs) / 60_000));
  return ` since ${new Date(spec.sinceMs).toISOString()} (${ago} min) by ${spec.by}: "${spec.message}" (Retry-After ${spec.retryAfterS} s${spec.healthPath ? `, ${spec.healthPath} passes` : ''}${spec.bypass ? ', testers with the token pass' : ''})`;
}

function unknownOf(view: MaintenanceView): string {
  return `not known at ${view.unknown.join(', ')}: not asked`;
}
