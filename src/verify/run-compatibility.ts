import { runCommandCheck } from '../analysis/providers/command-check.js';
import type { Endpoint } from './endpoint.js';
import { runSmokeRequest } from './run-smoke.js';
import type { VerificationCheck } from './verification-check.js';
import type { CompatibilityPlan } from './verify-suite.js';

const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Old clients against the new release: the previous release's smoke suite (its own expectations, with
 * `{{release}}` standing for the new version), then the custom commands (BASE_URL, RELEASE and PREVIOUS_RELEASE
 * set; exit 0 passes). Never throws.
 */
export async function runCompatibilityChecks(
  endpoint: Endpoint,
  plan: CompatibilityPlan,
  release: string,
): Promise<VerificationCheck[]> {
  const checks: VerificationCheck[] = [];
  for (const request of plan.previousSmoke) {
    checks.push(
      await runSmokeRequest(
        endpoint,
        request,
        release,
        'compatibility',
        `${plan.previousRelease ?? 'previous'} smoke: `,
      ),
    );
  }
  for (const command of plan.commands) {
    // The canary's command runner (timeouts kill the whole process group, output tail kept) with our names.
    const result = await runCommandCheck(
      {
        kind: 'command',
        name: command.name,
        run: `cd ${shellQuote(plan.cwd)} && export BASE_URL="$CANARY_URL" RELEASE="$CANARY_RELEASE" PREVIOUS_RELEASE="$STABLE_RELEASE" && ${command.run}`,
        timeout: `${command.timeoutMs}ms`,
      },
      { release, stable: plan.previousRelease, canaryUrl: endpoint.baseUrl },
    );
    checks.push({
      name: command.name,
      kind: 'compatibility',
      passed: result.status === 'pass',
      measured: { exitCode: result.value ?? null },
      message: result.detail,
    });
  }
  return checks;
}
