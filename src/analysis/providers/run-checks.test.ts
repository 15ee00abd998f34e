import { describe, expect, it } from 'vitest';
import type { CheckSpec, CheckVars } from '../check-result.js';
import { runChecks } from './run-checks.js';
import { answerJson, startTestServer } from './test-server.js';

describe('runChecks', () => {
  it('runs every kind of check and keeps their order', async () => {
    const prometheus = await startTestServer((_req, res) =>
      answerJson(res, 200, {
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: {}, value: [1700000000, '0.02'] }] },
      }),
    );
    const canary = await startTestServer((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    const vars: CheckVars = { release: 'v2', stable: 'v1', canaryUrl: canary.url };
    const specs: CheckSpec[] = [
      { kind: 'prometheus', name: 'errors', url: prometheus.url, query: 'x', max: 0.05 },
      { kind: 'http', name: 'smoke', url: 'http://{{canary}}/', expectStatus: 200, timeout: '2s' },
      { kind: 'command', name: 'script', run: 'exit 2', timeout: '5s' },
    ];
    expect(await runChecks(specs, vars)).toEqual([
      { name: 'errors', status: 'pass', detail: 'query value 0.02 ≤ max 0.05', value: 0.02 },
      { name: 'smoke', status: 'fail', detail: `GET ${canary.url}/ answered 500, expected 200`, value: 500 },
      { name: 'script', status: 'inconclusive', detail: 'exit 2', value: 2 },
    ]);
  });

  it('is inconclusive about a kind of check it does not know (a stale stored plan)', async () => {
    const stale = { kind: 'datadog', name: 'apm' } as unknown as CheckSpec;
    expect(
      await runChecks([stale], { release: 'v2', stable: null, canaryUrl: 'http://127.0.0.1:1' }),
    ).toEqual([{ name: 'apm', status: 'inconclusive', detail: 'unknown kind of check: datadog' }]);
  });

  it('gives no results for no checks', async () => {
    expect(await runChecks([], { release: 'v2', stable: null, canaryUrl: 'http://127.0.0.1:1' })).toEqual([]);
  });
});
