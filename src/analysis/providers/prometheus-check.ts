import { request } from '../../core/http-request.js';
import { z } from 'zod';
import { formatDurationMs } from '../../core/duration.js';
import type { CheckResult, CheckSpecOf, CheckVars } from '../check-result.js';
import { describeError } from './describe-error.js';
import { fillTemplate } from './fill-template.js';

/** How long a Prometheus query may take before the check is inconclusive. */
export const PROMETHEUS_TIMEOUT_MS = 10_000;

const sample = z.tuple([z.number(), z.string()]);
const queryResponse = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({ resultType: z.literal('vector'), result: z.array(z.object({ value: sample })) }),
      z.object({ resultType: z.literal('scalar'), result: sample }),
      z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
      z.object({ resultType: z.literal('string'), result: z.unknown() }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() }),
]);

/**
 * Runs the check's PromQL instant query (`GET <url>/api/v1/query`) and compares its single value with the
 * bounds. Anything that keeps the query from giving one number — Prometheus down or slow, an error answer, no
 * sample, several series, NaN — is inconclusive with the reason: it says nothing about the canary. Never throws.
 */
export async function runPrometheusCheck(
  spec: CheckSpecOf<'prometheus'>,
  vars: CheckVars,
  options: { timeoutMs?: number } = {},
): Promise<CheckResult> {
  const inconclusive = (detail: string): CheckResult => ({ name: spec.name, status: 'inconclusive', detail });
  const filled = fillTemplate(spec.query, vars);
  if ('missing' in filled) {
    return inconclusive(`the query uses {{${filled.missing}}}, which has no value here`);
  }

  const timeoutMs = options.timeoutMs ?? PROMETHEUS_TIMEOUT_MS;
  const url = `${spec.url.replace(/\/+$/, '')}/api/v1/query?${new URLSearchParams({ query: filled.text }).toString()}`;
  const answer = await fetchText(url, timeoutMs);
  if ('error' in answer) return inconclusive(`Prometheus at ${spec.url}: ${answer.error}`);

  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    return inconclusive(
      `Prometheus answered ${answer.status} with a body that is not JSON: ${snippet(answer.body)}`,
    );
  }
  const parsed = queryResponse.safeParse(json);
  if (!parsed.success) {
    return inconclusive(
      `Prometheus answered ${answer.status} with an unexpected body: ${snippet(answer.body)}`,
    );
  }
  const response = parsed.data;
  if (response.status === 'error') {
    const kind = response.errorType ? ` (${response.errorType})` : '';
    return inconclusive(`Prometheus rejected the query${kind}: ${response.error ?? `HTTP ${answer.status}`}`);
  }

  const value = singleValue(response.data);
  if (typeof value === 'string') return inconclusive(value);
  if (Number.isNaN(value)) return inconclusive('the query gave NaN (a ratio over no requests?)');
  return compare(spec, value);
}

function singleValue(
  data: Extract<z.output<typeof queryResponse>, { status: 'success' }>['data'],
): number | string {
  switch (data.resultType) {
    case 'scalar':
      return parseSampleValue(data.result[1]);
    case 'vector': {
      const [first, ...rest] = data.result;
      if (first === undefined) return 'the query returned no samples';
      if (rest.length > 0) {
        return `the query returned ${data.result.length} series; it must return one (aggregate it, e.g. with sum())`;
      }
      return parseSampleValue(first.value[1]);
    }
    default:
      return `the query returned a ${data.resultType}; a check needs one sample (an instant vector or a scalar)`;
  }
}

/** Prometheus writes sample values as strings, with NaN, +Inf and -Inf spelled that way. */
function parseSampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return text.trim() === '' ? Number.NaN : Number(text);
}

function compare(spec: CheckSpecOf<'prometheus'>, value: number): CheckResult {
  const result = (status: CheckResult['status'], detail: string): CheckResult => ({
    name: spec.name,
    status,
    detail,
    ...(Number.isFinite(value) ? { value } : {}),
  });
  const shown = `query value ${value}`;
  if (spec.max !== undefined && value > spec.max) return result('fail', `${shown} > max ${spec.max}`);
  if (spec.min !== undefined && value < spec.min) return result('fail', `${shown} < min ${spec.min}`);
  const bounds = [
    spec.min !== undefined ? `≥ min ${spec.min}` : null,
    spec.max !== undefined ? `≤ max ${spec.max}` : null,
  ].filter((b) => b !== null);
  return result('pass', bounds.length > 0 ? `${shown} ${bounds.join(' and ')}` : shown);
}

async function fetchText(
  url: string,
  timeoutMs: number,
): Promise<{ status: number; body: string } | { error: string }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await request(url, {
      method: 'GET',
      headers: { accept: 'application/json', 'user-agent': 'slipway-analysis' },
      signal: controller.signal,
    });
    return { status: res.statusCode, body: await res.body.text() };
  } catch (err) {
    if (controller.signal.aborted) return { error: `no answer within ${formatDurationMs(timeoutMs)}` };
    return { error: describeError(err) };
  } finally {
    clearTimeout(timer);
  }
}

function snippet(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat || '(empty)';
}
