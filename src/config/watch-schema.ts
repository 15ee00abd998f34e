import { z } from 'zod';
import { bindAddressSchema } from './address-schema.js';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';
import { insidePathSchema } from './inside-path-schema.js';

const secretName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a secret name');

export const webhookSchema = z
  .strictObject({
    port: z
      .int()
      .min(0)
      .max(65535)
      .default(DEFAULTS.webhook.port)
      .describe('Port `slipway webhook` listens on (0 picks a free one).'),
    bindAddress: bindAddressSchema
      .default(DEFAULTS.webhook.bindAddress)
      .describe(
        'IP address `slipway webhook` listens on; put a TLS proxy in front when it faces the internet.',
      ),
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
    replayTolerance: duration({ max: 'span' })
      .default(DEFAULTS.webhook.replayTolerance)
      .describe(
        'A signed push whose `repository.pushed_at` is older than this is treated as a replay (ignored). Within it, and for deliveries without `pushed_at`, a delivery id or a body (its SHA-256) seen before is a replay whatever id it carries; bodies without `pushed_at` are remembered for good.',
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
    interval: duration()
      .default(DEFAULTS.watch.interval)
      .describe('How often `slipway watch` fetches the branch.'),
    path: insidePathSchema('the repository')
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
