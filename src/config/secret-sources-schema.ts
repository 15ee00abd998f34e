import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';
import { envNameSchema } from './env-schema.js';
import { controlPlaneCommandSchema } from './command-schema.js';

const commandSchema = controlPlaneCommandSchema.describe(
  'What prints the value on stdout. A string runs through `sh -c` (pipes, `$VARS`); a list is an argv run without a shell. Runs on the control plane in the directory of slipway.yml with the environment of the `slipway` process (so `BW_SESSION`, `VAULT_ADDR`, `AWS_PROFILE` … reach it) and no stdin.',
);

export const secretCommandSourceSchema = z
  .strictObject({
    command: commandSchema,
    timeout: duration()
      .default(DEFAULTS.secretCommandTimeout)
      .describe('A command that runs longer is killed (with what it started) and the operation fails.'),
  })
  .describe(
    "A command whose stdout, less one trailing newline, is the secret's value: `op read …`, `bw get password …`, `vault kv get -field=…`. Run at most once per CLI run or server job; its value is never stored.",
  );

export const secretSourcesSchema = z
  .record(envNameSchema, secretCommandSourceSchema)
  .default({})
  .describe(
    "Commands that give this environment's secrets, by secret name (see docs/secrets.md). A command wins over the encrypted file (`encryptedSecrets`), the process environment and `.slipway/secrets/<environment>.env`; `SLIPWAY_SECRET_<NAME>` in the environment of `slipway` still overrides one.",
  );

export type SecretCommandSource = z.output<typeof secretCommandSourceSchema>;
