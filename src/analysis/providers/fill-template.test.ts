import { describe, expect, it } from 'vitest';
import { fillTemplate } from './fill-template.js';

const vars = { release: 'v2', stable: 'v1', canaryUrl: 'http://127.0.0.1:4123' };

describe('fillTemplate', () => {
  it.each([
    ['rate{version="{{release}}"} / rate{version="{{ stable }}"}', 'rate{version="v2"} / rate{version="v1"}'],
    ['http://{{canary}}/healthz', 'http://127.0.0.1:4123/healthz'],
    ['no placeholders', 'no placeholders'],
  ])('%s → %s', (template, text) => expect(fillTemplate(template, vars)).toEqual({ text }));

  it('names a placeholder without a value or that it does not know', () => {
    expect(fillTemplate('{{stable}}', { ...vars, stable: null })).toEqual({ missing: 'stable' });
    expect(fillTemplate('{{constructor}} {{release}}', vars)).toEqual({ missing: 'constructor' });
    expect(fillTemplate('{{canary}}', { ...vars, canaryUrl: 'not a url' })).toEqual({ missing: 'canary' });
  });
});
