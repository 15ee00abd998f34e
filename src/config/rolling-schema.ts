import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';

/** A number of hosts, or a share of them ("25%"). */
export const hostCountSchema = z
  .union([
    z.int().min(1),
    z
      .string()
      .regex(/^\d+(\.\d+)?%$/, 'expected a number of hosts like 2 or a share like "25%"')
      .refine(
        (s) => Number(s.slice(0, -1)) > 0 && Number(s.slice(0, -1)) <= 100,
        'expected a share from 1% to 100%',
      ),
  ])
  .describe('A number of hosts, or a share of the hosts such as "25%" (rounded up, at least 1).');

export const rollingStrategy = z
  .strictObject({
    kind: z.literal('rolling'),
    batchSize: hostCountSchema.default(1).describe('Hosts updated together in one batch.'),
    maxUnavailable: hostCountSchema
      .optional()
      .describe(
        'Hosts that may be out of the edge at once (a batch is never larger); default: the batch size.',
      ),
    pauseBetweenBatches: duration({ allowZero: true }).default('0s').describe('Wait between two batches.'),
    failureBudget: z
      .int()
      .min(0)
      .default(0)
      .describe('Hosts that may fail (and are rolled back on their own) before the whole deploy stops.'),
    onBatchFailure: z
      .enum(['rollback-batch', 'stop'])
      .default('rollback-batch')
      .describe(
        "When a batch fails beyond the budget, the deployment ends failed and earlier batches keep the new release. `rollback-batch` puts the batch's hosts back on the previous release (deploy again once the cause is fixed); `stop` leaves them as they are (`slipway deploy <env> --resume` goes on from the failed step).",
      ),
    keepWarm: duration({ allowZero: true })
      .default(DEFAULTS.strategy.keepWarm)
      .describe('How long the previous target keeps running on each host after its switch.'),
    drainTimeout: duration({ allowZero: true })
      .default(DEFAULTS.strategy.drainTimeout)
      .describe(
        'How long in-flight requests may take to finish on a target (or an edge member) that leaves.',
      ),
  })
  .describe(
    'Update the hosts batch by batch: each host is taken out of the edge, gets the new release beside the old (health-checked, then switched), and goes back in.',
  );
