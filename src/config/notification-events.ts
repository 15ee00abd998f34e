/** What a channel can be told about; the ledger kinds behind each are in src/notify/notification-event.ts. */
export const NOTIFICATION_EVENTS = [
  'started',
  'waiting-for-approval',
  'approved',
  'rejected',
  'verification-failed',
  'succeeded',
  'failed',
  'rolled-back',
  'aborted',
  'bake-failed',
  'marked-good',
  'freeze-overridden',
  'build-failed',
  'alert-firing',
  'alert-resolved',
  'incident-opened',
  'incident-resolved',
  'crash-loop',
  'errors-burst',
  'canary-inconclusive',
  'canary-tripped',
  'canary-overridden',
  'certificate-failed',
  'cron-failed',
] as const;

export type NotificationEventName = (typeof NOTIFICATION_EVENTS)[number];
