import type { CheckKind, CheckResult, CheckSpec, CheckSpecOf, CheckVars } from '../check-result.js';
import { runCommandCheck } from './command-check.js';
import { describeError } from './describe-error.js';
import { runHttpCheck } from './http-check.js';

type CheckRunner<K extends CheckKind> = (spec: CheckSpecOf<K>, vars: CheckVars) => Promise<CheckResult>;

/**
 * One runner per kind of check: a new kind in the schema does not compile until it has one. The Prometheus check
 * (with the schema of its API's answers) is loaded when one runs.
 */
const RUNNERS: { [K in CheckKind]: CheckRunner<K> } = {
  prometheus: async (spec, vars) => (await import('./prometheus-check.js')).runPrometheusCheck(spec, vars),
  http: runHttpCheck,
  command: runCommandCheck,
};

/** Runs the checks in parallel; the results keep the order of `specs`. Never rejects. */
export function runChecks(specs: readonly CheckSpec[], vars: CheckVars): Promise<CheckResult[]> {
  return Promise.all(specs.map((spec) => runCheck(spec, vars)));
}

async function runCheck(spec: CheckSpec, vars: CheckVars): Promise<CheckResult> {
  const runner = RUNNERS[spec.kind] as CheckRunner<CheckKind> | undefined;
  const name = typeof spec.name === 'string' ? spec.name : String(spec.kind);
  // Specs may come from a stored plan rather than straight from the schema.
  if (runner === undefined) {
    return { name, status: 'inconclusive', detail: `unknown kind of check: ${String(spec.kind)}` };
  }
  try {
    return await runner(spec, vars);
  } catch (err) {
    return { name, status: 'inconclusive', detail: `the check could not run: ${describeError(err)}` };
  }
}
