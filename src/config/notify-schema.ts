import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';
import { NOTIFICATION_EVENTS } from './notification-events.js';

const eventName = z.enum(NOTIFICATION_EVENTS);
const channelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case channel name of letters, digits and dashes');

const channelSchema = z
  .strictObject({
    name: channelName.describe('Name of the channel (stakeholders refer to it; failures name it).'),
    url: z
      .url()
      .optional()
      .describe('Where the notification is POSTed. Prefer `urlSecret` when the URL carries a token.'),
    urlSecret: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a secret name')
      .optional()
      .describe(
        "Name of a secret holding the URL (e.g. a Slack incoming-webhook URL), looked up in the event's environment.",
      ),
    format: z
      .enum(['json', 'slack'])
      .default('json')
      .describe('`json`: a generic JSON event; `slack`: a Slack-compatible `{ text, blocks }` message.'),
    events: z
      .array(eventName)
      .optional()
      .describe(
        "Events sent to this channel, on top of those its stakeholders' roles ask for. A channel with neither `events` nor stakeholders gets every event.",
      ),
    environments: z
      .array(z.string())
      .optional()
      .describe('Only events of these environments; default: every environment.'),
  })
  .refine((c) => (c.url === undefined) !== (c.urlSecret === undefined), {
    message: 'give exactly one of url and urlSecret',
  })
  .describe('A webhook that receives notifications.');

const stakeholderSchema = z
  .strictObject({
    name: z.string().min(1).describe('Who (a person or a team); named in the notification.'),
    roles: z
      .array(z.string().min(1))
      .min(1)
      .describe(
        'Roles of the stakeholder; each role asks for some events (see `roles` and the built-in roles in docs/notifications.md).',
      ),
    channels: z.array(channelName).min(1).describe('Channels that reach this stakeholder.'),
    mention: z
      .string()
      .optional()
      .describe('How the stakeholder is named in Slack messages, e.g. `<@U024BE7LH>`; default: the name.'),
  })
  .describe('Someone who is told about the events their roles care about.');

export const notificationsSchema = z
  .strictObject({
    channels: z.array(channelSchema).default([]).describe('Webhooks that receive notifications.'),
    stakeholders: z
      .array(stakeholderSchema)
      .default([])
      .describe('Who is told what: each stakeholder gets the events of their roles on their channels.'),
    roles: z
      .record(z.string(), z.array(eventName))
      .default({})
      .describe('Events per role; adds roles or replaces the events of a built-in role.'),
    timeout: duration()
      .default(DEFAULTS.notifications.timeout)
      .describe('Time limit of one delivery attempt.'),
    retries: z
      .int()
      .min(0)
      .max(10)
      .default(DEFAULTS.notifications.retries)
      .describe(
        'Further attempts after a failed delivery (with doubling backoff); then the ledger records `notification.failed`.',
      ),
  })
  .superRefine((n, ctx) => {
    const names = new Set<string>();
    n.channels.forEach((c, i) => {
      if (names.has(c.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['channels', i, 'name'],
          message: `channel ${c.name} is defined twice`,
        });
      }
      names.add(c.name);
    });
    n.stakeholders.forEach((s, i) =>
      s.channels.forEach((c, j) => {
        if (!names.has(c)) {
          ctx.addIssue({
            code: 'custom',
            path: ['stakeholders', i, 'channels', j],
            message: `no channel named ${c} (channels: ${[...names].join(', ') || 'none'})`,
          });
        }
      }),
    );
  })
  .describe(
    'Webhooks told about deployment events (started, waiting for approval, succeeded, rolled back, …).',
  );

export type NotificationsConfig = z.output<typeof notificationsSchema>;
export type NotificationChannelConfig = NotificationsConfig['channels'][number];
