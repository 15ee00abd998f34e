import { describe, expect, it } from 'vitest';
import { parseConfig } from './parse-config.js';

const config = (pipeline: string, extra = '') =>
  parseConfig(
    `app: shop\nrun: { command: node server.js }\nenvironments:\n  staging: { publicPort: 8081 }\n  production: { publicPort: 8080${extra} }\npipeline: ${pipeline}\n`,
    'slipway.yml',
  );
const messages = (r: ReturnType<typeof parseConfig>) => ('issues' in r ? r.issues.map((i) => i.message) : []);

describe('pipeline config', () => {
  it('reads names and mappings, manual by default', () => {
    const r = config('[staging, { environment: production, promote: automatic }]');
    expect('config' in r && r.config.pipeline).toEqual([
      { environment: 'staging', promote: 'manual' },
      { environment: 'production', promote: 'automatic' },
    ]);
  });

  it.each([
    ['[staging, prod]', 'pipeline names "prod", which is not under environments (staging, production)'],
    ['[staging, production, staging]', '"staging" appears twice in the pipeline'],
  ])('refuses %s', (pipeline, message) => {
    expect(messages(config(pipeline)).join('\n')).toContain(message);
  });

  it.each([
    [', windows: [{ cron: "* 9-16 * *" }]', 'expected five cron fields'],
    [', windows: [{ cron: "* * * * *", timezone: Mars/Olympus }]', 'expected an IANA time zone'],
    [', freezes: [{ name: x, from: "24.12.2026", to: "2027-01-01" }]', 'expected a date and time'],
  ])('refuses a wrong gate: %s', (extra, message) => {
    expect(messages(config('[staging, production]', extra)).join('\n')).toContain(message);
  });
});
