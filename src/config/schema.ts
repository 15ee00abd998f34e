import { z } from 'zod';
import { bindAddressSchema } from './address-schema.js';
import { approvalsSchema, teamSchema } from './approvals-schema.js';
import { canaryStrategy } from './canary-schema.js';
import { databaseSchema } from './database-schema.js';
import { rollingStrategy } from './rolling-schema.js';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';
import { edgeSchema } from './edge-schema.js';
import { encryptedSecretsSchema } from './encrypted-secrets-schema.js';
import { frontDoorShape } from './front-door-schema.js';
import { ENV_LIMITS, envMapSchema, envNameSchema } from './env-schema.js';
import { hooksSchema } from './hooks-schema.js';
import { cronSchema } from './cron-schema.js';
import { hostSchema, sshSettingsSchema } from './host-schema.js';
import { insidePathSchema } from './inside-path-schema.js';
import { sharedSchema } from './shared-schema.js';
import { processesSchema } from './processes-schema.js';
import { monitoringSchema } from './monitor-schema.js';
import { environmentPipelineShape, pipelineSchema } from './pipeline-schema.js';
import { verifySchema } from './verify-schema.js';
import { notificationsSchema } from './notify-schema.js';
import { watchSchema } from './watch-schema.js';
import { runtimeSchema } from './runtime-schema.js';
import { secretSourcesSchema } from './secret-sources-schema.js';
import { hasNulByte, NUL_MESSAGE } from './string-checks.js';

/** What fits in a process environment; said in both `env` rows of the reference. */
const ENV_BOUNDS = `Values are strings (numbers and booleans are converted) of at most ${ENV_LIMITS.valueBytes / 1024} KiB without NUL bytes; at most ${ENV_LIMITS.names} names of at most ${ENV_LIMITS.nameLength} characters, and ${ENV_LIMITS.totalBytes / 1024 / 1024} MiB in all for a target (\`env\` with its environment's \`env\` over it).`;

/** A shell command: a NUL byte in it would only fail once the command is started. */
const commandText = z.string().refine((text) => !hasNulByte(text), { message: NUL_MESSAGE });

export const healthCheckSchema = z
  .strictObject({
    path: z
      .string()
      .startsWith('/')
      .default(DEFAULTS.healthCheck.path)
      .describe('HTTP path that answers 2xx when the target is ready.'),
    interval: duration().default(DEFAULTS.healthCheck.interval).describe('Time between two checks.'),
    timeout: duration().default(DEFAULTS.healthCheck.timeout).describe('A check that takes longer fails.'),
    healthyThreshold: z
      .int()
      .min(1)
      .max(100)
      .default(DEFAULTS.healthCheck.healthyThreshold)
      .describe('Consecutive passing checks before a target counts as healthy.'),
    unhealthyThreshold: z
      .int()
      .min(1)
      .max(100)
      .default(DEFAULTS.healthCheck.unhealthyThreshold)
      .describe('Consecutive failing checks before a healthy target counts as unhealthy.'),
    startTimeout: duration()
      .default(DEFAULTS.healthCheck.startTimeout)
      .describe('How long a new target may take to become healthy before the deploy fails.'),
  })
  .describe('How a target is checked before it gets traffic and while it serves.');

const recreateStrategy = z
  .strictObject({
    kind: z.literal('recreate'),
    drainTimeout: duration({ allowZero: true })
      .default(DEFAULTS.strategy.drainTimeout)
      .describe('How long in-flight requests may take to finish before the old target is stopped.'),
  })
  .describe('Stop the old target, then start the new one (brief downtime; for apps that cannot run twice).');

const blueGreenStrategy = z
  .strictObject({
    kind: z.literal('blue-green'),
    keepWarm: duration({ allowZero: true })
      .default(DEFAULTS.strategy.keepWarm)
      .describe(
        'How long the previous target keeps running after the switch, so that a rollback is only a switch.',
      ),
    drainTimeout: duration({ allowZero: true })
      .default(DEFAULTS.strategy.drainTimeout)
      .describe('How long in-flight requests on the old target may take to finish after the switch.'),
  })
  .describe(
    'Start the new target beside the old one, health-check it, switch traffic, keep the old one warm.',
  );

export const strategySchema = z
  .discriminatedUnion('kind', [recreateStrategy, blueGreenStrategy, canaryStrategy, rollingStrategy])
  .describe('How a new release replaces the running one.');

export const environmentSchema = z
  .strictObject({
    hosts: z.array(hostSchema).min(1).default(['local']).describe('The hosts of this environment.'),
    ssh: sshSettingsSchema.default(() => sshSettingsSchema.parse({})),
    edge: edgeSchema.optional(),
    publicPort: z
      .int()
      .min(1)
      .max(65535)
      .describe("The port on which the environment's router serves the app."),
    bindAddress: bindAddressSchema
      .default(DEFAULTS.bindAddress)
      .describe('IP address the router listens on (`0.0.0.0` or `::` for every interface).'),
    metricsPort: z
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        "When set, each host's agent serves the router's per-release metrics in the Prometheus format at http://127.0.0.1:<metricsPort>/metrics (loopback only).",
      ),
    ...frontDoorShape,
    strategy: strategySchema.default({
      kind: 'blue-green',
      keepWarm: DEFAULTS.strategy.keepWarm,
      drainTimeout: DEFAULTS.strategy.drainTimeout,
    }),
    env: envMapSchema
      .default({})
      .describe(
        `Environment variables for this environment; they override the app-level \`env\`. ${ENV_BOUNDS}`,
      ),
    secrets: z
      .array(envNameSchema)
      .default([])
      .describe('Names of extra secrets for this environment (see `secrets`).'),
    secretSources: secretSourcesSchema,
    encryptedSecrets: encryptedSecretsSchema.optional(),
    ...environmentPipelineShape,
    approvals: approvalsSchema.optional(),
    monitoring: monitoringSchema.optional(),
    verify: verifySchema.optional(),
    database: databaseSchema.optional(),
  })
  .describe('A named place to deploy to.');

export const configSchema = z
  .strictObject({
    app: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a lower-case name of letters, digits and dashes')
      .describe('Name of the app (lower-case letters, digits and dashes).'),
    build: z
      .strictObject({
        command: commandText
          .optional()
          .describe(
            'Shell command that builds the app; runs in the project directory with SLIPWAY_VERSION set.',
          ),
        path: insidePathSchema('the directory of slipway.yml')
          .default('.')
          .describe(
            'Directory inside the project (relative to slipway.yml, not above it) packaged into the release artifact after the build. Symbolic links in it must be relative and lead inside it; `slipway release create` refuses others.',
          ),
        exclude: z
          .array(z.string())
          .default([])
          .describe('Paths (relative to `path`) left out of the artifact; `.slipway` and `.git` always are.'),
      })
      .default({ path: '.', exclude: [] })
      .describe('How a release artifact is made.'),
    run: z
      .strictObject({
        command: commandText
          .min(1)
          .describe(
            'Command that starts one target, run in the release directory through `sh -c`; it must listen on $PORT.',
          ),
        stopTimeout: duration({ allowZero: true })
          .default(DEFAULTS.stopTimeout)
          .describe('Time between SIGTERM and SIGKILL when a target is stopped.'),
        instances: z
          .int()
          .min(1)
          .max(DEFAULTS.maxInstances)
          .default(1)
          .describe(
            'Targets of the release started on each host, each on its own $PORT; the router sends each request to the one with the fewest in flight, and a deploy switches them all at once (docs/processes.md, "Several instances per host"). Not with a canary strategy.',
          ),
      })
      .describe('How a target of the app is started.'),
    healthCheck: healthCheckSchema.default({ ...DEFAULTS.healthCheck }),
    env: envMapSchema
      .default({})
      .describe(`Environment variables for every target of the app. ${ENV_BOUNDS}`),
    secrets: z
      .array(envNameSchema)
      .default([])
      .describe(
        'Names of secrets. Values come from the environment of the `slipway` process (NAME or SLIPWAY_SECRET_NAME), from `.slipway/secrets/<environment>.env`, from a command (`environments.<name>.secretSources`), or from an age-encrypted file in the repository (`environments.<name>.encryptedSecrets`); they are never stored in releases, plans or the ledger. See docs/secrets.md.',
      ),
    shared: sharedSchema,
    processes: processesSchema,
    retainReleases: z
      .int()
      .min(1)
      .max(100)
      .default(DEFAULTS.retainReleases)
      .describe('Release directories kept on each host (the live and warm ones are always kept).'),
    environments: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case environment name'),
        environmentSchema,
      )
      .refine((envs) => Object.keys(envs).length > 0, 'define at least one environment')
      .describe('Environments by name, e.g. `staging`, `production`.'),
    pipeline: pipelineSchema,
    team: teamSchema.default({}),
    watch: watchSchema.default(() => watchSchema.parse({})),
    notifications: notificationsSchema.default(() => notificationsSchema.parse({})),
    runtime: runtimeSchema,
    hooks: hooksSchema,
    cron: cronSchema,
  })
  .describe('slipway.yml: one app and the environments it is deployed to.');

export type SlipwayConfig = z.output<typeof configSchema>;
export type EnvironmentConfig = z.output<typeof environmentSchema>;
export type StrategyConfig = z.output<typeof strategySchema>;
export type CanaryStrategyConfig = z.output<typeof canaryStrategy>;
export type HealthCheckConfig = z.output<typeof healthCheckSchema>;
