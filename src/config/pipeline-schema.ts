import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';

const environmentName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case environment name');

/** An IANA time zone name; checked against the zones this Node knows. */
export const timeZoneSchema = z
  .string()
  .refine(isKnownTimeZone, { message: 'expected an IANA time zone such as "Europe/Berlin" or "UTC"' })
  .describe('An IANA time zone, e.g. "Europe/Berlin", "America/New_York", "UTC".');

/** Five cron fields (minute hour day-of-month month day-of-week); seconds are not part of a window. */
const cronSchema = z
  .string()
  .regex(
    /^\s*\S+(\s+\S+){4}\s*$/,
    'expected five cron fields: minute hour day-of-month month day-of-week, e.g. "* 9-16 * * 1-5"',
  )
  .describe(
    'Five cron fields (minute hour day-of-month month day-of-week) naming the minutes in which a deploy may start, e.g. "* 9-16 * * 1-5" (any minute from 09:00 to 16:59, Monday to Friday).',
  );

/** A local wall-clock time ("2026-12-20 18:00") or an absolute one with an offset ("2026-12-20T18:00:00Z"). */
const pointInTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?(Z|[+-]\d{2}:\d{2})?$/,
    'expected a date and time like "2026-12-20 18:00" (local to `timezone`) or "2026-12-20T17:00:00Z"',
  )
  .describe(
    'A date ("2026-12-24", midnight) or date and time ("2026-12-24 18:00") in the freeze\'s time zone, or an absolute time with an offset ("2026-12-24T17:00:00Z").',
  );

export const windowSchema = z
  .strictObject({
    cron: cronSchema,
    timezone: timeZoneSchema.default('UTC'),
  })
  .describe(
    'A deploy window: a deploy may start in any minute the cron expression matches, read in `timezone`.',
  );

export const freezeSchema = z
  .strictObject({
    name: z.string().min(1).describe('Shown when the freeze blocks a deploy, e.g. "year-end".'),
    from: pointInTime.describe('Start of the freeze (included).'),
    to: pointInTime.describe('End of the freeze (excluded: a deploy at exactly `to` is allowed).'),
    timezone: timeZoneSchema
      .default('UTC')
      .describe('Time zone of `from` and `to` when they carry no offset.'),
  })
  .describe('A named period in which deploys to the environment are refused unless overridden.');

const bakeRulesSchema = z
  .strictObject({
    maxErrorRate: z
      .union([
        z.number().min(0).max(1),
        z
          .string()
          .regex(/^\d+(\.\d+)?%$/, 'expected a percentage like "1%" or a fraction like 0.01')
          .transform((s) => Number(s.slice(0, -1)) / 100),
      ])
      .default(DEFAULTS.bake.maxErrorRate)
      .describe(
        'The bake fails when the 5xx rate of the new release is significantly above this (one-sided Wilson bound, as in the canary analysis).',
      ),
    maxP99: duration()
      .optional()
      .describe('The bake fails when the p99 latency of the new release is above this.'),
    minRequests: z
      .int()
      .min(1)
      .default(DEFAULTS.bake.minRequests)
      .describe('Requests needed before the p99 rule counts.'),
    healthy: z
      .boolean()
      .default(true)
      .describe(
        "The bake fails as soon as a target of the new release is unhealthy (the agent's health check).",
      ),
  })
  .describe('What must hold during the bake.');

export const bakeSchema = z
  .strictObject({
    duration: duration().describe('How long the new release is watched after the switch.'),
    interval: duration()
      .default(DEFAULTS.bake.interval)
      .describe('How often the rules are evaluated during the bake.'),
    rules: bakeRulesSchema.default(() => bakeRulesSchema.parse({})),
    probe: z
      .strictObject({
        ratePerSecond: z
          .number()
          .positive()
          .max(1000)
          .describe('Synthetic requests per second sent through the router during the bake.'),
        path: z.string().startsWith('/').default('/').describe('Path the probe requests.'),
      })
      .optional()
      .describe('Synthetic traffic, so that a quiet environment still gives the rules samples.'),
  })
  .describe(
    'After the switch, watch the new release for `duration`; a failing rule rolls back to the previous release, a passing bake marks the release good for this environment.',
  );

/** Gates and the bake of one environment; spread into the environment schema. */
export const environmentPipelineShape = {
  windows: z
    .array(windowSchema)
    .default([])
    .describe(
      'When deploys may start; empty means at any time. A deploy outside every window waits (printing when it will run) until one opens.',
    ),
  freezes: z
    .array(freezeSchema)
    .default([])
    .describe(
      'Named periods in which deploys are refused unless `--override-freeze --reason "…"` by a person with one of `freezeOverrideRoles`.',
    ),
  freezeOverrideRoles: z
    .array(z.string().min(1))
    .default([...DEFAULTS.pipeline.freezeOverrideRoles])
    .describe(
      'Roles (from `team:`) that may override a freeze; without a `team:` section anyone may, with a reason.',
    ),
  bake: bakeSchema.optional(),
};

const pipelineStageSchema = z
  .union([
    environmentName.transform((environment) => ({
      environment,
      promote: DEFAULTS.pipeline.promote,
    })),
    z.strictObject({
      environment: environmentName.describe('An environment defined under `environments`.'),
      promote: z
        .enum(['manual', 'automatic'])
        .default(DEFAULTS.pipeline.promote)
        .describe(
          'Whether a release that deployed here successfully (verification passed, bake passed) goes on to the next environment by itself, or waits for `slipway promote-release`.',
        ),
    }),
  ])
  .describe('One environment of the pipeline: its name, or `{ environment, promote }`.');

export const pipelineSchema = z
  .array(pipelineStageSchema)
  .default([])
  .describe(
    'The path of a release through environments, in order (e.g. [staging, production]); a release is promoted unchanged from one to the next. Empty: no pipeline, every environment stands alone.',
  );

export type PipelineConfig = z.output<typeof pipelineSchema>;
export type WindowConfig = z.output<typeof windowSchema>;
export type FreezeConfig = z.output<typeof freezeSchema>;
export type BakeConfig = z.output<typeof bakeSchema>;

function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
