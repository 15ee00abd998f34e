import type { NotificationEventName } from '../config/notification-events.js';

/**
 * The ledger kinds that notify, and the event each becomes. Every other kind (steps, traffic switches, agent
 * events) stays in the ledger only. `rollback.started` is left out on purpose: a rollback is announced once,
 * when it has put the previous release back (`rolled-back`).
 */
export const NOTIFICATION_EVENT_OF_KIND: Readonly<Record<string, NotificationEventName>> = {
  'deploy.started': 'started',
  'deploy.resumed': 'started',
  'approval.requested': 'waiting-for-approval',
  'approval.granted': 'approved',
  'approval.rejected': 'rejected',
  'verify.failed': 'verification-failed',
  'deploy.succeeded': 'succeeded',
  'deploy.failed': 'failed',
  'rollback.failed': 'failed',
  'deploy.rolled-back': 'rolled-back',
  'rollback.succeeded': 'rolled-back',
  'deploy.aborted': 'aborted',
  'bake.failed': 'bake-failed',
  'release.marked-good': 'marked-good',
  'freeze.overridden': 'freeze-overridden',
  'watch.build-failed': 'build-failed',
  'alert.firing': 'alert-firing',
  'alert.resolved': 'alert-resolved',
  'incident.opened': 'incident-opened',
  'incident.resolved': 'incident-resolved',
  'crash-loop.detected': 'crash-loop',
  'errors.burst': 'errors-burst',
  'canary.inconclusive': 'canary-inconclusive',
  'canary.tripped': 'canary-tripped',
  'canary.overridden': 'canary-overridden',
  'certificate.failed': 'certificate-failed',
  'cron.failed': 'cron-failed',
};

/** The notification event of a ledger kind, if it notifies at all. */
export function deriveNotificationEvent(kind: string): NotificationEventName | undefined {
  return Object.hasOwn(NOTIFICATION_EVENT_OF_KIND, kind) ? NOTIFICATION_EVENT_OF_KIND[kind] : undefined;
}
