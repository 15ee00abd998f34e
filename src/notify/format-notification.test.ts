import { describe, expect, it } from 'vitest';
import { NOTIFICATION_FORMATTERS, type Notification } from './format-notification.js';

const notification: Notification = {
  event: 'rolled-back',
  app: 'shop',
  environment: 'production',
  release: '2.1.0',
  deploymentId: 'dabc123',
  actor: 'ci@build-1',
  message: 'deploy of 2.1.0 to production rolled-back: <health> check failed & more',
  time: '2026-01-02T03:04:05.000Z',
  ledger: { seq: 42, kind: 'deploy.rolled-back' },
  stakeholders: [
    { name: 'bob', roles: ['oncall'], mention: '<@U1>' },
    { name: 'carol', roles: ['owner'] },
  ],
};

describe('notification formats', () => {
  it('json carries the event, where, what, who and when', () => {
    expect(NOTIFICATION_FORMATTERS.json(notification)).toEqual({
      event: 'rolled-back',
      app: 'shop',
      environment: 'production',
      release: '2.1.0',
      deploymentId: 'dabc123',
      actor: 'ci@build-1',
      message: notification.message,
      time: '2026-01-02T03:04:05.000Z',
      ledger: { seq: 42, kind: 'deploy.rolled-back' },
      stakeholders: [
        { name: 'bob', roles: ['oncall'] },
        { name: 'carol', roles: ['owner'] },
      ],
    });
  });

  it('slack is a { text, blocks } message that mentions the stakeholders and escapes the ledger text', () => {
    const message = NOTIFICATION_FORMATTERS.slack(notification) as {
      text: string;
      blocks: Array<{ type: string; text?: { text: string }; elements?: Array<{ text: string }> }>;
    };
    expect(message.text).toBe(':rewind: shop 2.1.0 → production: rolled-back (<@U1>, carol)');
    expect(message.blocks[0]?.text?.text).toContain('&lt;health&gt; check failed &amp; more');
    expect(message.blocks[1]?.elements?.map((e) => e.text)).toEqual([
      'deployment `dabc123`',
      'by ci@build-1',
      '2026-01-02T03:04:05.000Z',
    ]);
  });
});
