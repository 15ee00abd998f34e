import { request } from '../../core/http-request.js';
import { formatDurationMs, parseDurationMs } from '../../core/duration.js';
import type { CheckResult, CheckSpecOf, CheckVars } from '../check-result.js';
import { describeError } from './describe-error.js';
import { fillTemplate } from './fill-template.js';

/**
 * One GET to the check's URL (`{{canary}}` replaced by the canary's host:port). Passes when the answer's
 * status is `expectStatus` (redirects are not followed: a 301 is an answer); a different status, no answer
 * within the timeout, or a failed connection fails the check. Never throws.
 */
export async function runHttpCheck(spec: CheckSpecOf<'http'>, vars: CheckVars): Promise<CheckResult> {
  const result = (status: CheckResult['status'], detail: string, value?: number): CheckResult => ({
    name: spec.name,
    status,
    detail,
    ...(value === undefined ? {} : { value }),
  });
  const filled = fillTemplate(spec.url, vars);
  if ('missing' in filled) {
    return result('inconclusive', `the URL uses {{${filled.missing}}}, which has no value here`);
  }
  const timeoutMs = parseDurationMs(spec.timeout);
  if (timeoutMs === undefined) return result('inconclusive', `timeout is not a duration: ${spec.timeout}`);

  const url = filled.text;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await request(url, {
      method: 'GET',
      headers: { 'user-agent': 'slipway-analysis', ...vars.canaryHeaders },
      signal: controller.signal,
    });
    // The status is all the check needs; a streaming endpoint must not hold the check open. Destroying the
    // body aborts the request, which the body reports as an error nobody needs.
    res.body.on('error', () => undefined).destroy();
    const status = res.statusCode;
    if (status === spec.expectStatus) return result('pass', `GET ${url} answered ${status}`, status);
    return result('fail', `GET ${url} answered ${status}, expected ${spec.expectStatus}`, status);
  } catch (err) {
    if (controller.signal.aborted) {
      return result('fail', `GET ${url} got no answer within ${formatDurationMs(timeoutMs)}`);
    }
    return result('fail', `GET ${url} failed: ${describeError(err)}`);
  } finally {
    clearTimeout(timer);
  }
}
