import { describe, expect, it } from 'vitest';
import { cronSchema } from './cron-schema.js';
import { configSchema } from './schema.js';
import { validateCronRules } from './validate-cron-rules.js';

describe('cron', () => {
  it('fills in the defaults', () => {
    expect(cronSchema.parse([{ name: 'sweep', schedule: '*/5 * * * *', command: './sweep.sh' }])).toEqual([
      {
        name: 'sweep',
        schedule: '*/5 * * * *',
        command: './sweep.sh',
        timezone: 'UTC',
        overlap: 'skip',
        timeout: '1h',
      },
    ]);
  });

  it.each<[string, unknown, string]>([
    [
      'a schedule of three fields',
      { name: 'a', schedule: '* * *', command: 'x' },
      'expected five cron fields',
    ],
    ['a minute out of range', { name: 'a', schedule: '75 * * * *', command: 'x' }, 'CronPattern'],
    [
      'an unknown time zone',
      { name: 'a', schedule: '* * * * *', command: 'x', timezone: 'Mars/Olympus' },
      'IANA',
    ],
    ['an upper-case name', { name: 'Sweep', schedule: '* * * * *', command: 'x' }, 'lower-case'],
    ['an unknown overlap', { name: 'a', schedule: '* * * * *', command: 'x', overlap: 'parallel' }, 'skip'],
    ['an empty argv', { name: 'a', schedule: '* * * * *', command: [] }, ''],
  ])('refuses %s', (_name, job, message) => {
    const result = cronSchema.safeParse([job]);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(message);
  });

  it('refuses a name twice', () => {
    const job = { name: 'a', schedule: '* * * * *', command: 'x' };
    expect(cronSchema.safeParse([job, job]).success).toBe(false);
  });

  it('reports a job for an environment that is not defined, with the closest name', () => {
    const config = configSchema.parse({
      app: 'shop',
      run: { command: 'node server.js' },
      environments: { production: { publicPort: 8080 } },
      cron: [{ name: 'sweep', schedule: '* * * * *', command: 'x', environments: ['prodution'] }],
    });
    expect(validateCronRules(config)).toEqual([
      {
        path: ['cron', 0, 'environments', 0],
        at: 'value',
        message:
          'cron[0] (sweep) names an environment that is not defined: prodution (did you mean production?)',
      },
    ]);
  });
});
