import { NOTIFICATION_EVENTS } from '../config/notification-events.js';
import type { NotificationEventName } from '../config/notification-events.js';
import type { NotificationChannelConfig, NotificationsConfig } from '../config/notify-schema.js';

/**
 * What each built-in role is told about. `notifications.roles` adds roles or replaces one of these.
 * Approvers hear when their decision is needed; deployers follow their deployments; on-call hears
 * what went wrong; owners hear everything.
 */
export const BUILT_IN_ROLES: Readonly<Record<string, readonly NotificationEventName[]>> = {
  approver: ['waiting-for-approval'],
  deployer: [
    'started',
    'succeeded',
    'failed',
    'rolled-back',
    'aborted',
    'build-failed',
    'approved',
    'rejected',
    'canary-inconclusive',
  ],
  oncall: [
    'failed',
    'rolled-back',
    'verification-failed',
    'bake-failed',
    'aborted',
    'alert-firing',
    'alert-resolved',
    'incident-opened',
    'incident-resolved',
    'crash-loop',
    'errors-burst',
    'canary-tripped',
    'certificate-failed',
    'cron-failed',
  ],
  observer: ['succeeded', 'rolled-back', 'marked-good'],
  security: ['freeze-overridden', 'verification-failed', 'canary-overridden'],
  owner: NOTIFICATION_EVENTS,
};

export interface NotifiedStakeholder {
  name: string;
  /** The stakeholder's roles that ask for this event. */
  roles: string[];
  mention?: string;
}

export interface NotificationRoute {
  channel: NotificationChannelConfig;
  /** The stakeholders this channel reaches who asked for the event (may be empty for a channel's own `events`). */
  stakeholders: NotifiedStakeholder[];
}

export function eventsOfRole(config: NotificationsConfig, role: string): readonly NotificationEventName[] {
  if (Object.hasOwn(config.roles, role)) return config.roles[role] ?? [];
  return Object.hasOwn(BUILT_IN_ROLES, role) ? (BUILT_IN_ROLES[role] ?? []) : [];
}

/**
 * The channels an event goes to, each once. A channel gets an event when its own `events` list it, or when a
 * stakeholder it reaches has a role that asks for it; a channel with neither `events` nor stakeholders gets
 * every event. `environments` narrows a channel to those environments (events without one are left out).
 */
export function routeNotification(
  config: NotificationsConfig,
  event: NotificationEventName,
  environment: string | null,
): NotificationRoute[] {
  const routes: NotificationRoute[] = [];
  for (const channel of config.channels) {
    if (channel.environments && (environment === null || !channel.environments.includes(environment)))
      continue;
    const reached = config.stakeholders.filter((s) => s.channels.includes(channel.name));
    const stakeholders: NotifiedStakeholder[] = [];
    for (const s of reached) {
      const roles = s.roles.filter((role) => eventsOfRole(config, role).includes(event));
      if (roles.length > 0)
        stakeholders.push({ name: s.name, roles, ...(s.mention ? { mention: s.mention } : {}) });
    }
    const wanted =
      (channel.events?.includes(event) ?? false) ||
      stakeholders.length > 0 ||
      (channel.events === undefined && reached.length === 0);
    if (wanted) routes.push({ channel, stakeholders });
  }
  return routes;
}
