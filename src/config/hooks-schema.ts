import { z } from 'zod';
import { controlPlaneCommandSchema } from './command-schema.js';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';

const hookSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(80)
      .regex(/^[^\n]*$/, 'expected one line')
      .optional()
      .describe('What `slipway plan` and the progress lines call it (default: the command).'),
    command: controlPlaneCommandSchema.describe(
      'A string runs through `sh -c`; a list is an argv run without a shell. Runs on the control plane in the directory of slipway.yml, with the environment of `slipway` and SLIPWAY_APP, SLIPWAY_ENVIRONMENT, SLIPWAY_RELEASE, SLIPWAY_PREVIOUS_RELEASE, SLIPWAY_DEPLOYMENT, SLIPWAY_HOOK, SLIPWAY_HOSTS and SLIPWAY_URL; no stdin.',
    ),
    timeout: duration()
      .default(DEFAULTS.hookTimeout)
      .describe('A hook that runs longer is killed (with what it started) and counts as failed.'),
    environments: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('Only in these environments (default: every one).'),
    continueOnError: z
      .boolean()
      .default(false)
      .describe(
        'A failure is reported and the deployment goes on (default: the deployment fails as at any step: before the switch nothing moved, after it users are put back).',
      ),
  })
  .describe('One command at a point of a deployment: a step of its plan.');

const hookList = (when: string) => z.array(hookSchema).default([]).describe(`Run ${when}, in order.`);

export const hooksSchema = z
  .strictObject({
    beforeDeploy: hookList(
      "before anything changes on a host: after the approval and the window, before the release is installed (a rollback's plan has none)",
    ),
    beforeSwitch: hookList(
      'when the new targets are started and healthy, before any traffic moves to them (a canary: before its first weight; a rolling update: before its first batch switches)',
    ),
    afterSwitch: hookList(
      'once the traffic moved (a canary: after its promotion; a rolling update: after its last batch), before the bake and the verification',
    ),
    afterRollback: hookList(
      'after `slipway rollback` switched users back, and after a failed deployment put them back on what served before',
    ),
  })
  .default({ beforeDeploy: [], beforeSwitch: [], afterSwitch: [], afterRollback: [] })
  .describe(
    'Commands run at named points of a deployment, each a step of its plan (shown by `slipway plan`, resumed like any step). See docs/processes.md.',
  );

export type HooksConfig = z.output<typeof hooksSchema>;
export type HookConfig = HooksConfig['beforeDeploy'][number];
export type HookPoint = keyof HooksConfig;
