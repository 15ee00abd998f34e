import { describe, expect, it } from 'vitest';
import { resolveEdgeFailover } from './config-values.js';
import type { EdgeConfig } from './edge-schema.js';
import { parseConfig } from './parse-config.js';

const base = [
  'app: shop',
  'run:',
  '  command: node server.js',
  'environments:',
  '  production:',
  '    publicPort: 8080',
];

function parse(edge: string) {
  return parseConfig(`${[...base, `    edge: ${edge}`].join('\n')}\n`, 'slipway.yml');
}

function edgeOf(edge: string): EdgeConfig {
  const result = parse(edge);
  if ('issues' in result) throw new Error(JSON.stringify(result.issues));
  const parsed = result.config.environments.production?.edge;
  if (!parsed) throw new Error('no edge');
  return parsed;
}

describe('the edge block', () => {
  it('fills the failover defaults, which the agent gets in milliseconds', () => {
    const edge = edgeOf('{ host: local, publicPort: 80 }');
    expect(edge).toEqual({
      host: 'local',
      publicPort: 80,
      bindAddress: '0.0.0.0',
      connectTimeout: '1s',
      answerTimeout: { min: '1s', max: '10s' },
      retryBudget: 0.2,
      ejectAfter: 3,
    });
    expect(resolveEdgeFailover(edge)).toEqual({
      connectTimeoutMs: 1_000,
      answerTimeoutMinMs: 1_000,
      answerTimeoutMaxMs: 10_000,
      retryBudget: 0.2,
      ejectAfter: 3,
    });
  });

  it('takes each setting', () => {
    const edge = edgeOf(
      '{ host: local, publicPort: 80, connectTimeout: 500ms, answerTimeout: { min: 300ms }, retryBudget: 0.1, ejectAfter: 5 }',
    );
    expect(resolveEdgeFailover(edge)).toEqual({
      connectTimeoutMs: 500,
      answerTimeoutMinMs: 300,
      answerTimeoutMaxMs: 10_000,
      retryBudget: 0.1,
      ejectAfter: 5,
    });
  });

  it.each([
    ['connectTimeout: 11s', 'environments.production.edge.connectTimeout', 'expected at most 10s'],
    ['answerTimeout: { max: 6m }', 'environments.production.edge.answerTimeout.max', 'expected at most 5m'],
    [
      'answerTimeout: { min: 20s }',
      'environments.production.edge.answerTimeout.min',
      'answerTimeout.min must not be above answerTimeout.max',
    ],
    ['retryBudget: 1.5', 'environments.production.edge.retryBudget', undefined],
    ['ejectAfter: 0', 'environments.production.edge.ejectAfter', undefined],
  ])('refuses %s', (setting, path, message) => {
    const result = parse(`{ host: local, publicPort: 80, ${setting} }`);
    if ('config' in result) throw new Error('expected issues');
    expect(result.issues.map((i) => i.path)).toEqual([path]);
    if (message) expect(result.issues[0]?.message).toContain(message);
  });
});
