import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';

const roleName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'expected a lower-case role name like "approver"')
  .describe('A role, e.g. `viewer`, `deployer`, `approver`, `admin`.');

/** The people who act on deployments and what they may do. */
export const teamSchema = z
  .record(
    z
      .string()
      .min(1)
      .describe('The person, as Slipway knows the actor: `SLIPWAY_USER`, or the OS user name.'),
    z.strictObject({
      roles: z.array(roleName).min(1).describe('What this person may do.'),
      environments: z
        .array(z.string())
        .optional()
        .describe('Where the roles apply; every environment when left out.'),
    }),
  )
  .describe(
    'People and their roles. Approvals count only people listed here with the required role for the environment.',
  );

export const approvalsSchema = z
  .strictObject({
    required: z
      .array(
        z.strictObject({
          role: roleName,
          count: z.int().min(1).max(20).default(1).describe('How many different people of this role.'),
        }),
      )
      .min(1)
      .describe('Who must approve: e.g. `[{ role: approver, count: 2 }]`. One person counts once.'),
    allowSelfApproval: z
      .boolean()
      .default(DEFAULTS.approvals.allowSelfApproval)
      .describe('Whether the person who started the deployment may approve it.'),
    expiresAfter: duration({ max: 'span' })
      .default(DEFAULTS.approvals.expiresAfter)
      .describe('An approval older than this no longer counts (the deployment waits for a fresh one).'),
  })
  .describe(
    'Deployments to this environment wait for approval (`slipway approve <deployment>`) before changing anything.',
  );

export type TeamConfig = z.output<typeof teamSchema>;
export type ApprovalsConfig = z.output<typeof approvalsSchema>;
