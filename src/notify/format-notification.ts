import type { NotificationEventName } from '../config/notification-events.js';
import type { NotifiedStakeholder } from './route-notification.js';

/** One notification, before it is shaped for a channel. Carries no links and no secrets. */
export interface Notification {
  event: NotificationEventName;
  app: string;
  environment: string | null;
  release: string | null;
  deploymentId: string | null;
  actor: string;
  message: string;
  /** ISO 8601, UTC. */
  time: string;
  /** The ledger event behind it. */
  ledger: { seq: number; kind: string };
  stakeholders: NotifiedStakeholder[];
}

export type NotificationFormat = 'json' | 'slack';

const EMOJI: Record<NotificationEventName, string> = {
  started: ':rocket:',
  'waiting-for-approval': ':hourglass:',
  approved: ':white_check_mark:',
  rejected: ':no_entry:',
  'verification-failed': ':x:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  'rolled-back': ':rewind:',
  aborted: ':octagonal_sign:',
  'bake-failed': ':fire:',
  'marked-good': ':star:',
  'freeze-overridden': ':warning:',
  'build-failed': ':hammer:',
  'alert-firing': ':rotating_light:',
  'alert-resolved': ':large_green_circle:',
  'incident-opened': ':sos:',
  'incident-resolved': ':large_green_circle:',
  'crash-loop': ':boom:',
  'errors-burst': ':warning:',
  'canary-inconclusive': ':pause_button:',
  'canary-tripped': ':octagonal_sign:',
  'canary-overridden': ':warning:',
  'certificate-failed': ':lock:',
  'cron-failed': ':alarm_clock:',
};

/** The body each format POSTs; a new format without a formatter does not compile. */
export const NOTIFICATION_FORMATTERS: Record<NotificationFormat, (n: Notification) => unknown> = {
  json: (n) => ({
    event: n.event,
    app: n.app,
    environment: n.environment,
    release: n.release,
    deploymentId: n.deploymentId,
    actor: n.actor,
    message: n.message,
    time: n.time,
    ledger: n.ledger,
    stakeholders: n.stakeholders.map((s) => ({ name: s.name, roles: s.roles })),
  }),
  slack: (n) => {
    const where = [n.app, n.release, n.environment ? `→ ${n.environment}` : null].filter(Boolean).join(' ');
    const who = n.stakeholders.map((s) => s.mention ?? s.name);
    const text = `${EMOJI[n.event]} ${where}: ${n.event}${who.length > 0 ? ` (${who.join(', ')})` : ''}`;
    const context = [
      n.deploymentId ? `deployment \`${n.deploymentId}\`` : null,
      `by ${n.actor}`,
      n.time,
    ].filter((part): part is string => part !== null);
    return {
      text,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `*${text}*\n${escapeSlack(n.message)}` } },
        { type: 'context', elements: context.map((part) => ({ type: 'mrkdwn', text: escapeSlack(part) })) },
      ],
    };
  },
};

/** Slack reads &, < and > as markup; ledger messages are plain text. */
function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
