import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';
import { hostCountSchema } from './rolling-schema.js';

/** A share written as a fraction (0.01) or a percentage string ("1%"). */
export const ratioSchema = z
  .union([
    z.number().min(0).max(1),
    z
      .string()
      .regex(/^\d+(\.\d+)?%$/, 'expected a percentage like "1%" or a fraction like 0.01')
      .transform((s) => Number(s.slice(0, -1)) / 100),
  ])
  .describe('A share: a fraction such as 0.01 or a percentage such as "1%".');

/** Like ratioSchema, but may exceed 100% (a latency may be allowed to double: "100%"). */
const shareSchema = z
  .union([
    z.number().min(0),
    z
      .string()
      .regex(/^\d+(\.\d+)?%$/, 'expected a percentage like "20%" or a fraction like 0.2')
      .transform((s) => Number(s.slice(0, -1)) / 100),
  ])
  .describe('A share: a fraction such as 0.2 or a percentage such as "20%" (may exceed 100%).');

const prometheusCheck = z
  .strictObject({
    kind: z.literal('prometheus'),
    name: z.string().min(1).describe('Name shown in verdicts.'),
    url: z.url().describe('Base URL of the Prometheus server, e.g. http://127.0.0.1:9090.'),
    query: z
      .string()
      .min(1)
      .describe(
        'PromQL instant query; `{{release}}` and `{{stable}}` are replaced by the canary and stable versions.',
      ),
    max: z.number().optional().describe('The result must be at most this.'),
    min: z.number().optional().describe('The result must be at least this.'),
  })
  .describe('A PromQL query whose single value must stay within bounds.');

const httpCheck = z
  .strictObject({
    kind: z.literal('http'),
    name: z.string().min(1).describe('Name shown in verdicts.'),
    url: z
      .url()
      .describe(
        "URL to request; `{{canary}}` is replaced by host:port of a router serving the canary (each run the next canary host's router; 127.0.0.1 for `local`), and the request carries the opt-in header, so it reaches the canary whatever the weight. A remote router bound to loopback cannot be reached: the check is then inconclusive and says so.",
      ),
    expectStatus: z.int().min(100).max(599).default(200).describe('Status the check expects.'),
    timeout: duration().default('2s').describe('A slower answer fails the check.'),
  })
  .describe('An HTTP request that must answer with the expected status.');

const commandCheck = z
  .strictObject({
    kind: z.literal('command'),
    name: z.string().min(1).describe('Name shown in verdicts.'),
    run: z
      .string()
      .min(1)
      .describe(
        'Shell command; exit 0 passes, exit 2 is inconclusive, anything else fails. CANARY_URL is set to the base URL of a router serving the canary (send the opt-in header to reach the canary itself).',
      ),
    timeout: duration().default('30s').describe('A command that runs longer fails the check.'),
  })
  .describe('A command whose exit code decides.');

export const analysisSchema = z
  .strictObject({
    interval: duration()
      .default(DEFAULTS.canary.analysisInterval)
      .describe('How often the analysis is evaluated.'),
    minRequests: z
      .int()
      .min(1)
      .default(DEFAULTS.canary.minRequests)
      .describe('Requests each version must have served before any comparison counts.'),
    confidence: z
      .number()
      .gt(0.5)
      .lt(1)
      .default(DEFAULTS.canary.confidence)
      .describe('Confidence level of the statistical comparisons (canary against stable).'),
    maxErrorRate: ratioSchema
      .default(DEFAULTS.canary.maxErrorRate)
      .describe('The canary fails above this 5xx rate.'),
    errorRateTolerance: ratioSchema
      .default(DEFAULTS.canary.errorRateTolerance)
      .describe('The canary fails when its 5xx rate is significantly higher than stable by more than this.'),
    maxP99: duration().optional().describe('The canary fails when its p99 latency is above this.'),
    latencyTolerance: shareSchema
      .default(DEFAULTS.canary.latencyTolerance)
      .describe(
        'The canary fails when its latency is significantly higher than stable (Mann-Whitney U) and its median exceeds stable by more than this share.',
      ),
    latencyMinDifference: duration({ allowZero: true })
      .default(DEFAULTS.canary.latencyMinDifference)
      .describe(
        'The canary fails on latency only when its median also exceeds stable by at least this much.',
      ),
    probe: z
      .strictObject({
        ratePerSecond: z
          .number()
          .positive()
          .max(1000)
          .describe('Synthetic requests per second sent to the canary.'),
        path: z.string().startsWith('/').default('/').describe('Path the probe requests.'),
      })
      .optional()
      .describe('Synthetic traffic to the canary, so that a quiet app still gives the analysis samples.'),
    tripwire: z
      .boolean()
      .default(DEFAULTS.canary.tripwire)
      .describe(
        "The router itself ends the canary's traffic on every response that makes the evidence significant (anytime-valid sequential tests of the 5xx rate and of slow responses, also in flight), instead of waiting for the next interval.",
      ),
    checks: z
      .array(z.discriminatedUnion('kind', [prometheusCheck, httpCheck, commandCheck]))
      .default([])
      .describe('Further checks from other providers.'),
  })
  .describe("How the canary is judged: the router's per-version metrics, and optional further checks.");

const STEP_KEYS = ['setWeight', 'setHosts', 'pause', 'analysis'] as const;

const canaryStep = z
  .strictObject({
    setWeight: z.int().min(0).max(100).optional().describe('Share of requests (percent) sent to the canary.'),
    setHosts: hostCountSchema
      .optional()
      .describe(
        'Host-batched canary: the new release serves everything on this many hosts (or share of hosts), the others stay on stable. For apps whose requests cannot be split.',
      ),
    pause: z
      .union([duration({ allowZero: true }), z.strictObject({})])
      .optional()
      .describe('Wait this long, or `{}` to wait until `slipway promote`.'),
    analysis: z
      .strictObject({
        timeout: duration()
          .default(DEFAULTS.canary.inlineTimeout)
          .describe(
            'A verdict that stays inconclusive this long pauses the rollout until `slipway promote` (an override, in the ledger), abort, or a later successful verdict.',
          ),
      })
      .optional()
      .describe('Wait for a successful verdict of the analysis.'),
  })
  .refine((step) => STEP_KEYS.filter((k) => step[k] !== undefined).length === 1, {
    message: `a step has exactly one of ${STEP_KEYS.join(', ')}`,
  });

/** A canary splits either requests (setWeight) or hosts (setHosts), not both. */
function oneKindOfSplit(
  steps: Array<{ setWeight?: number | undefined; setHosts?: number | string | undefined }>,
): boolean {
  return !(steps.some((s) => s.setWeight !== undefined) && steps.some((s) => s.setHosts !== undefined));
}

export const canaryStrategy = z
  .strictObject({
    kind: z.literal('canary'),
    steps: z
      .array(canaryStep)
      .min(1)
      .refine(
        oneKindOfSplit,
        'use setWeight steps (split requests) or setHosts steps (split hosts), not both',
      )
      .describe(
        'The rollout: setWeight (or setHosts), pause and analysis steps; promotion to 100% follows the last step once the verdict is successful (otherwise it waits for `slipway promote`).',
      ),
    analysis: analysisSchema.default(() => analysisSchema.parse({})),
    header: z
      .string()
      .default(DEFAULTS.canary.header)
      .describe(
        'A request with this header set to `always` goes to the canary whatever the weight (for testers); `never` keeps it on stable.',
      ),
    cookie: z
      .string()
      .default(DEFAULTS.canary.cookie)
      .describe(
        'Sticky cookie: a user keeps landing on the same version while the weight grows. A tester whose browser sends this cookie set to `always` goes to the canary whatever the weight (`never`: stays on stable), like the header.',
      ),
    keepWarm: duration({ allowZero: true })
      .default(DEFAULTS.strategy.keepWarm)
      .describe('How long the previous stable target keeps running after promotion.'),
    drainTimeout: duration({ allowZero: true })
      .default(DEFAULTS.strategy.drainTimeout)
      .describe('How long in-flight requests may take to finish on a target that leaves.'),
  })
  .describe(
    'Send a growing share of traffic to the new release while its metrics are compared with stable; abort automatically when they are worse.',
  );
