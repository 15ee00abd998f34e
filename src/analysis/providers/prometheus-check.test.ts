import { describe, expect, it } from 'vitest';
import type { CheckSpecOf, CheckVars } from '../check-result.js';
import { runPrometheusCheck } from './prometheus-check.js';
import { answerJson, closedPortUrl, startTestServer } from './test-server.js';

const vars: CheckVars = { release: 'v2.0.0', stable: 'v1.9.0', canaryUrl: 'http://127.0.0.1:4000' };

function spec(url: string, overrides: Partial<CheckSpecOf<'prometheus'>> = {}): CheckSpecOf<'prometheus'> {
  return { kind: 'prometheus', name: 'error ratio', url, query: 'up', ...overrides };
}

const vector = (...values: string[]) => ({
  status: 'success',
  data: {
    resultType: 'vector',
    result: values.map((value, i) => ({ metric: { instance: `host-${i}` }, value: [1700000000, value] })),
  },
});

/** A server that answers every query like Prometheus' HTTP API would, with `body`. */
async function prometheus(body: unknown, status = 200) {
  return startTestServer((_req, res) => answerJson(res, status, body));
}

describe('runPrometheusCheck', () => {
  it('passes a single sample within the bounds and sends the query with the versions filled in', async () => {
    const server = await prometheus(vector('0.02'));
    const query =
      'sum(rate(http_errors{version="{{release}}"}[1m])) / sum(rate(http_errors{version="{{stable}}"}[1m]))';
    const result = await runPrometheusCheck(spec(server.url, { query, max: 0.05 }), vars);
    expect(result).toEqual({
      name: 'error ratio',
      status: 'pass',
      detail: 'query value 0.02 ≤ max 0.05',
      value: 0.02,
    });
    const [request] = server.requests;
    const sent = new URL(request?.url ?? '', server.url);
    expect(request?.method).toBe('GET');
    expect(sent.pathname).toBe('/api/v1/query');
    expect(sent.searchParams.get('query')).toBe(
      'sum(rate(http_errors{version="v2.0.0"}[1m])) / sum(rate(http_errors{version="v1.9.0"}[1m]))',
    );
  });

  it('keeps a path prefix of the base URL', async () => {
    const server = await prometheus(vector('1'));
    await runPrometheusCheck(spec(`${server.url}/prometheus/`), vars);
    expect(server.requests[0]?.url).toMatch(/^\/prometheus\/api\/v1\/query\?query=up$/);
  });

  it.each([
    [{ max: 0.01 }, 'fail', 'query value 0.02 > max 0.01'],
    [{ min: 0.05 }, 'fail', 'query value 0.02 < min 0.05'],
    [{ min: 0.01, max: 0.05 }, 'pass', 'query value 0.02 ≥ min 0.01 and ≤ max 0.05'],
    [{}, 'pass', 'query value 0.02'],
  ])('compares with the bounds %j', async (bounds, status, detail) => {
    const server = await prometheus(vector('0.02'));
    const result = await runPrometheusCheck(spec(server.url, bounds), vars);
    expect(result).toEqual({ name: 'error ratio', status, detail, value: 0.02 });
  });

  it('reads a scalar result', async () => {
    const server = await prometheus({
      status: 'success',
      data: { resultType: 'scalar', result: [1700000000, '7'] },
    });
    expect(await runPrometheusCheck(spec(server.url, { max: 5 }), vars)).toMatchObject({
      status: 'fail',
      value: 7,
    });
  });

  it.each([
    ['no sample', vector(), 'the query returned no samples'],
    [
      'several series',
      vector('1', '2'),
      'the query returned 2 series; it must return one (aggregate it, e.g. with sum())',
    ],
    ['NaN', vector('NaN'), 'the query gave NaN (a ratio over no requests?)'],
    [
      'a range vector',
      { status: 'success', data: { resultType: 'matrix', result: [] } },
      'the query returned a matrix; a check needs one sample (an instant vector or a scalar)',
    ],
  ])('is inconclusive on %s', async (_what, body, detail) => {
    const server = await prometheus(body);
    expect(await runPrometheusCheck(spec(server.url, { max: 1 }), vars)).toEqual({
      name: 'error ratio',
      status: 'inconclusive',
      detail,
    });
  });

  it('fails an infinite value against a maximum without reporting it as a number', async () => {
    const server = await prometheus(vector('+Inf'));
    expect(await runPrometheusCheck(spec(server.url, { max: 1 }), vars)).toEqual({
      name: 'error ratio',
      status: 'fail',
      detail: 'query value Infinity > max 1',
    });
  });

  it('is inconclusive with Prometheus’ own message when it rejects the query', async () => {
    const server = await prometheus(
      { status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected end of input' },
      400,
    );
    expect(await runPrometheusCheck(spec(server.url), vars)).toMatchObject({
      status: 'inconclusive',
      detail: 'Prometheus rejected the query (bad_data): 1:5: parse error: unexpected end of input',
    });
  });

  it('is inconclusive when the answer is not the Prometheus API', async () => {
    const html = await prometheus('<html>Bad Gateway</html>', 502);
    expect((await runPrometheusCheck(spec(html.url), vars)).detail).toBe(
      'Prometheus answered 502 with a body that is not JSON: <html>Bad Gateway</html>',
    );
    const other = await prometheus({ hello: 'world' });
    expect((await runPrometheusCheck(spec(other.url), vars)).detail).toBe(
      'Prometheus answered 200 with an unexpected body: {"hello":"world"}',
    );
  });

  it('is inconclusive when Prometheus is down', async () => {
    const url = await closedPortUrl();
    expect(await runPrometheusCheck(spec(url), vars)).toEqual({
      name: 'error ratio',
      status: 'inconclusive',
      detail: `Prometheus at ${url}: connection refused`,
    });
  });

  it('is inconclusive when Prometheus does not answer in time', async () => {
    const server = await startTestServer(() => undefined);
    expect(await runPrometheusCheck(spec(server.url), vars, { timeoutMs: 50 })).toMatchObject({
      status: 'inconclusive',
      detail: `Prometheus at ${server.url}: no answer within 50ms`,
    });
  });

  it('does not send a query whose stable version is unknown (first deploy)', async () => {
    const server = await prometheus(vector('1'));
    const result = await runPrometheusCheck(spec(server.url, { query: 'x{version="{{stable}}"}' }), {
      ...vars,
      stable: null,
    });
    expect(result.detail).toBe('the query uses {{stable}}, which has no value here');
    expect(result.status).toBe('inconclusive');
    expect(server.requests).toEqual([]);
  });
});
