import { describe, expect, it } from 'vitest';
import { notificationsSchema } from '../config/notify-schema.js';
import { deriveNotificationEvent } from './notification-event.js';
import { routeNotification } from './route-notification.js';

const config = notificationsSchema.parse({
  channels: [
    { name: 'all', url: 'http://127.0.0.1:1/all' },
    {
      name: 'prod-only',
      url: 'http://127.0.0.1:1/prod',
      events: ['succeeded'],
      environments: ['production'],
    },
    { name: 'approvers', url: 'http://127.0.0.1:1/approvers', format: 'slack' },
    { name: 'custom', url: 'http://127.0.0.1:1/custom' },
  ],
  stakeholders: [
    { name: 'alice', roles: ['approver'], channels: ['approvers'] },
    { name: 'bob', roles: ['oncall', 'approver'], channels: ['approvers'] },
    { name: 'qa', roles: ['tester'], channels: ['custom'] },
  ],
  roles: { tester: ['verification-failed'] },
});

const routed = (event: Parameters<typeof routeNotification>[1], environment: string | null) =>
  routeNotification(config, event, environment).map((r) => ({
    channel: r.channel.name,
    who: r.stakeholders.map((s) => `${s.name}:${s.roles.join('+')}`),
  }));

describe('routeNotification', () => {
  it.each([
    [
      'waiting-for-approval',
      'staging',
      [
        { channel: 'all', who: [] },
        { channel: 'approvers', who: ['alice:approver', 'bob:approver'] },
      ],
    ],
    [
      'succeeded',
      'production',
      [
        { channel: 'all', who: [] },
        { channel: 'prod-only', who: [] },
      ],
    ],
    ['succeeded', 'staging', [{ channel: 'all', who: [] }]],
    [
      'rolled-back',
      'production',
      [
        { channel: 'all', who: [] },
        { channel: 'approvers', who: ['bob:oncall'] },
      ],
    ],
    [
      'verification-failed',
      'staging',
      [
        { channel: 'all', who: [] },
        { channel: 'approvers', who: ['bob:oncall'] },
        { channel: 'custom', who: ['qa:tester'] },
      ],
    ],
    ['build-failed', null, [{ channel: 'all', who: [] }]],
  ] as const)(
    '%s in %s goes to the channels whose events or stakeholders ask for it',
    (event, env, expected) => {
      expect(routed(event, env)).toEqual(expected);
    },
  );
});

describe('deriveNotificationEvent', () => {
  it.each([
    ['deploy.started', 'started'],
    ['approval.requested', 'waiting-for-approval'],
    ['verify.failed', 'verification-failed'],
    ['deploy.succeeded', 'succeeded'],
    ['deploy.failed', 'failed'],
    ['deploy.rolled-back', 'rolled-back'],
    ['rollback.succeeded', 'rolled-back'],
    ['traffic.switched', undefined],
    ['rollback.started', undefined],
    ['toString', undefined],
  ])('%s → %s', (kind, event) => {
    expect(deriveNotificationEvent(kind)).toBe(event);
  });
});

describe('notificationsSchema', () => {
  it('refuses a stakeholder on a channel that does not exist, and a channel with both url and urlSecret', () => {
    const result = notificationsSchema.safeParse({
      channels: [{ name: 'a', url: 'http://127.0.0.1/', urlSecret: 'A_URL' }],
      stakeholders: [{ name: 'x', roles: ['owner'], channels: ['b'] }],
    });
    expect(result.success).toBe(false);
    const messages = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(messages).toContain('channels.0: give exactly one of url and urlSecret');
    expect(messages.some((m) => m.startsWith('stakeholders.0.channels.0: no channel named b'))).toBe(true);
  });
});
