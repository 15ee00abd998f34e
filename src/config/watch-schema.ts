import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { durationSchema } from './duration-schema.js';

const secretName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a secret name');

export const webhookSchema = z
  .strictObject({
    port: z
      .int()
      .min(0)
      .max(65535)
      .default(DEFAULTS.webhook.port)
      .describe('Port `slipway webhook` listens on (0 picks a free one).'),
    bindAddress: z
      .string()
      .default(DEFAULTS.webhook.bindAddress)
      .describe('Address `slipway webhook` listens on; put a TLS proxy in front when it faces the internet.'),
    secret: secretName
      .default(DEFAULTS.webhook.secret)
      .describe(
        'Name of the secret holding the HMAC key that signs deliveries (`X-Hub-Signature-256`); its value comes from the secrets of the watched environment.',
      ),
    maxBodyBytes: z
      .int()
      .min(1024)
      .max(25 * 1024 * 1024)
      .default(DEFAULTS.webhook.maxBodyBytes)
      .describe('Larger request bodies are refused with 413 before they are read in full.'),
    replayTolerance: durationSchema
      .default(DEFAULTS.webhook.replayTolerance)
      .describe(
        'A signed push whose `repository.pushed_at` is older than this is treated as a replay (ignored); deliveries without it are judged by their delivery id alone.',
      ),
  })
  .describe('The webhook receiver that turns signed push events into builds.');

export const watchSchema = z
  .strictObject({
    repo: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The git repository to follow: a path (relative to slipway.yml) or a URL git can fetch; default: the directory of slipway.yml.',
      ),
    branch: z.string().min(1).default(DEFAULTS.watch.branch).describe('The branch to follow.'),
    interval: durationSchema
      .default(DEFAULTS.watch.interval)
      .describe('How often `slipway watch` fetches the branch.'),
    path: z
      .string()
      .default('.')
      .describe(
        'Directory of the app inside the repository: the build runs there and `build.path` is relative to it.',
      ),
    environment: z
      .string()
      .optional()
      .describe(
        'The environment a new release is deployed to; default: the only environment, when there is one.',
      ),
    version: z
      .string()
      .min(1)
      .default(DEFAULTS.watch.version)
      .describe(
        'Version of a release built from a commit without an exact tag: `{shortSha}`, `{sha}`, `{branch}` and `{count}` (commits on the branch) are filled in. A commit with a tag gets the tag as its version.',
      ),
    webhook: webhookSchema.default(() => webhookSchema.parse({})),
  })
  .describe(
    'Continuous deployment: follow a branch and turn each new commit into a release that is deployed.',
  );

export type WatchConfig = z.output<typeof watchSchema>;
export type WebhookConfig = z.output<typeof webhookSchema>;
