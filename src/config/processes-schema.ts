import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';
import { hasNulByte, NUL_MESSAGE } from './string-checks.js';

const commandText = z
  .string()
  .min(1)
  .refine((text) => !hasNulByte(text), { message: NUL_MESSAGE });

const healthSchema = z
  .strictObject({
    settle: duration({ allowZero: true })
      .default(DEFAULTS.worker.settle)
      .describe(
        'The worker counts as healthy once it stayed up this long after its start (no exit, no restart).',
      ),
    command: commandText
      .optional()
      .describe(
        "A check run through `sh -c` in the release directory with the worker's environment (processes only), after the settle time, until it exits 0; the worker must stay up meanwhile.",
      ),
    timeout: duration()
      .default(DEFAULTS.worker.checkTimeout)
      .describe('How long the check command may take to pass (from the end of the settle time).'),
  })
  .describe('When a new worker counts as healthy: it stays up for `settle`, and then `command` passes.');

const processSchema = z
  .strictObject({
    command: commandText.describe(
      'Command that starts one instance, run in the release directory through `sh -c` (in the image for `runtime: docker`). No $PORT: a worker gets no requests. SLIPWAY_PROCESS and SLIPWAY_INSTANCE name it.',
    ),
    instances: z
      .int()
      .min(1)
      .max(32)
      .default(1)
      .describe('Instances of the process on each host of the environment.'),
    stopTimeout: duration({ allowZero: true })
      .default(DEFAULTS.stopTimeout)
      .describe(
        'Time between SIGTERM and SIGKILL when an instance is stopped: room to finish the job it is doing.',
      ),
    health: healthSchema.default({
      settle: DEFAULTS.worker.settle,
      timeout: DEFAULTS.worker.checkTimeout,
    }),
    roles: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        "Only on the environment's hosts with one of these `roles` (absent: on every host of the environment).",
      ),
    order: z
      .enum(['afterSwitch', 'beforeSwitch'])
      .default('afterSwitch')
      .describe(
        'When a deployment replaces its instances: `afterSwitch` once users are on the new release (the web switches first, then the workers roll), `beforeSwitch` before any user is sent to the new release.',
      ),
  })
  .describe('A named process of the app that gets no requests (a queue worker).');

export const processesSchema = z
  .record(
    z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,29}$/, 'expected a lower-case process name (letters, digits, -)')
      .refine((name) => name !== 'web', {
        message: "`web` is the app's own process (`run`); give the worker another name",
      }),
    processSchema,
  )
  .default({})
  .describe(
    'Processes the app runs besides its web process, by name, e.g. `worker`: from the same release, started with each deployment and stopped with SIGTERM. See docs/processes.md, "Worker processes".',
  );

export type ProcessesConfig = z.output<typeof processesSchema>;
export type ProcessConfig = ProcessesConfig[string];
