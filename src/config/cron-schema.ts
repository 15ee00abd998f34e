import { z } from 'zod';
import { validateCronSchedule } from '../core/cron-schedule.js';
import { controlPlaneCommandSchema } from './command-schema.js';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';
import { timeZoneSchema } from './pipeline-schema.js';

const cronJobSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a lower-case name of letters, digits and dashes')
      .describe(
        'Names the job in `slipway logs --job`, the ledger and notifications; the last run of each name is remembered across releases.',
      ),
    schedule: z
      .string()
      .describe(
        'A cron expression read in `timezone`: five fields (minute hour day-of-month month day-of-week, e.g. "*/15 * * * *") or six with seconds first ("* * * * * *": every second).',
      ),
    command: controlPlaneCommandSchema.describe(
      "A string runs through `sh -c`; a list is an argv run without a shell. Runs on the environment's chosen host, in the directory of the release that serves there, with its env and secrets and SLIPWAY_APP, SLIPWAY_ENVIRONMENT, SLIPWAY_RELEASE, SLIPWAY_JOB and SLIPWAY_JOB_TICK (the scheduled time, ISO 8601); no stdin.",
    ),
    timezone: timeZoneSchema.default('UTC').describe('The time zone `schedule` is read in (IANA).'),
    overlap: z
      .enum(['skip', 'queue'])
      .default('skip')
      .describe(
        'When a tick comes while the previous run still goes: `skip` ledgers the tick as skipped, `queue` runs it when the previous run ends (up to 10 waiting, more are skipped).',
      ),
    timeout: duration()
      .default(DEFAULTS.cronTimeout)
      .describe('A run that takes longer is killed (with what it started) and counts as failed.'),
    environments: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('Only in these environments (default: every one).'),
  })
  .superRefine((job, ctx) => {
    const error = validateCronSchedule({ expression: job.schedule, timezone: job.timezone });
    if (error !== null) ctx.addIssue({ code: 'custom', path: ['schedule'], message: error });
  })
  .describe('A job run once per tick of its schedule, per environment (never once per host).');

export const cronSchema = z
  .array(cronJobSchema)
  .max(64)
  .default([])
  .refine((jobs) => new Set(jobs.map((j) => j.name)).size === jobs.length, {
    message: 'expected each job name once',
  })
  .describe(
    "Scheduled jobs: each runs once per tick per environment, on one host (the environment's first), in the release that serves there. Part of the release. See docs/processes.md.",
  );

export type CronConfig = z.output<typeof cronSchema>;
export type CronJobConfig = CronConfig[number];
