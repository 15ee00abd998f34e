import { describe, expect, it } from 'vitest';
import { parseConfig } from './parse-config.js';

describe('environments named by watch and notifications', () => {
  it('must exist, and each problem points at its key', () => {
    const text = [
      'app: shop',
      'run: { command: node server.js }',
      'environments:',
      '  production: { publicPort: 8080 }',
      'watch:',
      '  environment: prod',
      'notifications:',
      '  channels:',
      '    - { name: a, url: "http://127.0.0.1:1/", environments: [production, stage] }',
      '',
    ].join('\n');
    const result = parseConfig(text, 'slipway.yml');
    expect(
      'issues' in result && result.issues.map((i) => `${i.path} (line ${i.line}): ${i.message}`),
    ).toEqual([
      'watch.environment (line 6): no environment named "prod" (environments: production)',
      'notifications.channels[0].environments[1] (line 9): no environment named "stage" (environments: production)',
    ]);
  });
});
