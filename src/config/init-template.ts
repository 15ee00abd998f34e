import { stringify } from 'yaml';
import { APP_KIND_NAMES, type AppGuess } from './app-guess.js';
import { DEFAULTS } from './defaults.js';

export interface InitTemplateOptions {
  /** App name: lower-case letters, digits and dashes (see deriveAppName). */
  app: string;
  /** Public port of the `production` environment's router. */
  port: number;
  /**
   * What `slipway init` found in the project (detectApp): its build, run command, health path and env replace
   * the placeholders, each under a comment that says why. Without it, the plain starter file (the docs' example).
   */
  guess?: AppGuess;
  /**
   * Production's secrets from an age-encrypted file (`slipway init --encrypted-secrets`), encrypted to these
   * recipients. Without it, the file and a command source are shown commented out.
   */
  encryptedSecrets?: { recipients: readonly string[] };
}

/**
 * The commented starter slipway.yml that `slipway init` writes. Every value shown is the default from
 * defaults.ts, so the file documents what Slipway does when a key is left out; it validates as written.
 */
export function renderInitTemplate({ app, port, guess, encryptedSecrets }: InitTemplateOptions): string {
  const hc = DEFAULTS.healthCheck;
  return `# slipway.yml: how Slipway builds, starts, checks and deploys ${app}.
${guess ? renderGuessHeader(guess) : ''}# Every key is described in docs/configuration.md. Durations are a number with a unit: "500ms", "30s",
# "5m", "1h", or combined, "1m30s". ${guess && guess.kind !== 'unknown' ? 'The other values' : 'The values'} below are the defaults: delete what you do not change.

# Name of the app: lower-case letters, digits and dashes.
app: ${scalar(app)}

# How a release (an immutable, versioned artifact) is made.
build:
${guess && guess.kind !== 'unknown' ? renderBuildCommand(guess) : BUILD_COMMAND_PLACEHOLDER}
  # Directory (relative to this file) packed into the release after the build.
  path: .
  # Paths under \`path\` left out of the release; .slipway and .git always are.
${comments(guess?.exclude.why ?? [], '  ')}  exclude: ${renderList(guess?.exclude.value ?? [])}

# How one target (a running instance of a release) is started.
run:
  # Run through \`${guess?.runtime === 'docker' ? '/bin/sh -c\` in the container' : 'sh -c\` in the release directory'}. The app must listen on the port in $PORT.
${comments(guess?.run.why ?? [], '  ')}  command: ${scalar(guess?.run.value ?? 'npm start')}
  # Time between SIGTERM and SIGKILL when a target is stopped.
  stopTimeout: ${scalar(DEFAULTS.stopTimeout)}

# How a target is checked before it gets traffic, and while it serves.
healthCheck:
  # HTTP path that answers 2xx once the target is ready.
${comments(guess?.healthPath.why ?? [], '  ')}  path: ${scalar(guess?.healthPath.value ?? hc.path)}
  # Time between two checks, and how long one check may take.
  interval: ${scalar(hc.interval)}
  timeout: ${scalar(hc.timeout)}
  # Consecutive passes before a target is healthy; consecutive failures before it is unhealthy.
  healthyThreshold: ${hc.healthyThreshold}
  unhealthyThreshold: ${hc.unhealthyThreshold}
  # How long a new target may take to become healthy before the deploy fails (and is rolled back).
  startTimeout: ${scalar(hc.startTimeout)}

# Environment variables for every target; an environment's own \`env\` overrides them.
${renderEnv(guess)}

# Names of secrets; their values are never written here. Slipway reads them from its own environment
# (SLIPWAY_SECRET_<NAME>, then <NAME>), from .slipway/secrets/<environment>.env (NAME=value lines), from a
# password manager's CLI, or from an age-encrypted file in this repository (per environment, below; see
# docs/secrets.md). For example: secrets: [DATABASE_URL]
secrets: []

# Directories that outlive releases (uploads, a SQLite file's directory), linked into every release directory
# from the host's own copy; never removed with releases (processes only). For example: shared: [storage, uploads]
shared: []

# Processes besides the web one that get no requests (queue workers), by name; each is started with every
# deployment and stopped with SIGTERM. For example: processes: { worker: { command: node worker.js, instances: 2 } }
processes: {}

# Release directories kept on each host (the live and the warm one are always kept).
retainReleases: ${DEFAULTS.retainReleases}

# Where the app is deployed to: environments by name.
environments:
  production:
    # \`local\` is this machine (no SSH).
    hosts: [local]
    # The port on which this environment's router serves the app; the router forwards to the targets.
    publicPort: ${port}
    bindAddress: ${scalar(DEFAULTS.bindAddress)}
    # How a new release replaces the running one:
    #   blue-green: start the new target beside the old one, check it, switch traffic, keep the old one
    #               warm for \`keepWarm\` so that a rollback is only a switch (no downtime);
    #   recreate:   stop the old target, then start the new one (brief downtime; for apps that cannot
    #               run twice at once). Only \`drainTimeout\` applies.
    strategy:
      kind: blue-green
      keepWarm: ${scalar(DEFAULTS.strategy.keepWarm)}
      drainTimeout: ${scalar(DEFAULTS.strategy.drainTimeout)}
    # Variables and extra secret names for this environment only.
    env: {}
    secrets: []
${renderSecretSources(app, encryptedSecrets)}

  # A second environment needs its own publicPort when it shares a host:
  # staging:
  #   publicPort: ${port === 65535 ? port - 1 : port + 1}
  #   strategy: { kind: recreate }
  #   An environment may require approvals before a deploy changes anything:
  #   approvals: { required: [{ role: approver, count: 1 }], allowSelfApproval: false, expiresAfter: 24h }
  #   Deploy windows, freezes and a bake after the switch (docs/pipelines.md):
  #   windows: [{ cron: "* 9-16 * * 1-5", timezone: Europe/Berlin }]
  #   freezes: [{ name: year-end, from: "2026-12-20", to: "2027-01-04", timezone: Europe/Berlin }]
  #   bake: { duration: 10m, rules: { maxErrorRate: 1%, maxP99: 500ms } }

# The order a release goes through the environments, promoted unchanged (slipway promote-release <v> <env>),
# e.g. pipeline: [staging, { environment: production, promote: manual }]; \`promote: automatic\` goes on
# by itself. Empty: every environment stands alone.
pipeline: []

# People and their roles (the person is SLIPWAY_USER, or the OS user name). Approvals count only them.
# For example: team: { alice: { roles: [deployer] }, bob: { roles: [approver], environments: [production] } }
team: {}

# Continuous deployment (\`slipway watch\`, \`slipway webhook\`): follow a branch of a git repository (default:
# this directory's), build each new commit into a release and deploy it. See docs/continuous-deployment.md.
watch:
  branch: ${scalar(DEFAULTS.watch.branch)}
  # The environment new releases go to (needed once there is more than one): environment: staging

# Webhooks told about deployments (started, waiting for approval, succeeded, rolled back, …), see
# docs/notifications.md. For example: channels: [{ name: team, urlSecret: SLACK_WEBHOOK_URL, format: slack }]
notifications:
  channels: []

# How targets run on the hosts: \`process\` (a process group per target) or \`docker\` (a container of an
# image built from your Dockerfile at release time; see docs/containers.md). ${guess?.runtime === 'docker' ? DOCKER_RUNTIME : PROCESS_RUNTIME}

# Commands run here, on this machine, at points of each deployment (beforeDeploy, beforeSwitch, afterSwitch,
# afterRollback), each a step of its plan; see docs/processes.md. For example:
#   beforeSwitch: [{ command: ./scripts/warm-cache.sh, timeout: 2m }]
#   afterSwitch: [{ command: ./scripts/announce.sh, environments: [production], continueOnError: true }]
hooks:
  beforeDeploy: []
  beforeSwitch: []
  afterSwitch: []
  afterRollback: []

# Scheduled jobs: each runs once per tick per environment, on its first host, in the release that serves there
# (with its env and secrets); see docs/processes.md. For example:
#   - { name: sweep, schedule: "*/15 * * * *", command: node scripts/sweep.js, timezone: Europe/Berlin }
cron: []
`;
}

/** Where production's secret values come from: a command per secret, or an encrypted file (set up, or shown). */
function renderSecretSources(app: string, encrypted: InitTemplateOptions['encryptedSecrets']): string {
  const file = 'secrets/production.env.age';
  const command = [
    '# secretSources:',
    '#   DATABASE_URL:',
    `#     command: ["op", "read", "op://Production/${app}-db/url"]`,
  ];
  const lines = encrypted
    ? [
        '# Secret values from a file of NAME=value lines, age-encrypted and committed here; "slipway secrets edit',
        '# production" writes it. One recipient per person or machine that deploys production ("slipway secrets',
        '# keygen" makes a key outside the repository and prints its recipient, age1…).',
        'encryptedSecrets:',
        `  path: ${file}`,
        `  recipients: ${renderList(encrypted.recipients)}`,
        "# Or, per secret, a password manager's CLI (its stdout is the value; op, bw, vault, aws, gcloud …):",
        ...command,
      ]
    : [
        '# Where secret values come from, besides the environment of slipway and .slipway/secrets/production.env.',
        "# Either a password manager's CLI per secret (its stdout is the value; op, bw, vault, aws, gcloud …):",
        ...command,
        '# or a file of NAME=value lines, age-encrypted and committed here: "slipway secrets keygen" makes your key',
        '# (outside the repository) and prints its recipient; "slipway secrets edit production" writes the file.',
        '# encryptedSecrets:',
        `#   path: ${file}`,
        '#   recipients: [age1…]   # one per person or machine that deploys production',
      ];
  return lines.map((line) => `    ${line}`).join('\n');
}

const BUILD_COMMAND_PLACEHOLDER = `  # Shell command that builds the app, run in this directory with SLIPWAY_VERSION set. None by default.
  # command: npm ci && npm run build`;

const PROCESS_RUNTIME = `For example:
# runtime: { kind: docker, memory: 256m, cpus: 1 }
runtime:
  kind: process`;

const DOCKER_RUNTIME = `The Dockerfile here makes it
# docker: each host needs a Docker Engine. Limits per container, for example: memory: 256m, cpus: 1
runtime:
  kind: docker
  dockerfile: ${DEFAULTS.runtime.dockerfile}`;

/** What was found and how to read the guesses, or that nothing was. */
function renderGuessHeader(guess: AppGuess): string {
  if (guess.kind === 'unknown') {
    return comments(
      wrap(
        `slipway init did not recognise this project: there is ${guess.description}. run.command and ` +
          'healthCheck.path below are placeholders: set them to what starts the app on $PORT and to the path ' +
          'of a route that answers 2xx once it is ready.',
      ),
    );
  }
  const also = guess.alsoFound.map(
    (kind) =>
      `Also found: a ${APP_KIND_NAMES[kind]} project; \`slipway init --force --kind ${kind}\` writes for that instead.`,
  );
  return comments([
    ...wrap(
      `slipway init found ${guess.description}. Its guesses (build, run command, health check path and ` +
        'env) each say why in a comment above them: check them, then run "slipway validate".',
    ),
    ...also,
  ]);
}

/** Lines of at most `width` characters (a word longer than that gets a line of its own). */
function wrap(text: string, width = 108): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return line === '' ? lines : [...lines, line];
}

function renderBuildCommand(guess: AppGuess): string {
  const lines = [
    '  # Shell command that builds the app, run in this directory with SLIPWAY_VERSION set.',
    comments(guess.build.why, '  ').trimEnd(),
  ];
  if (guess.build.value !== undefined) lines.push(`  command: ${scalar(guess.build.value)}`);
  return lines.filter((line) => line !== '').join('\n');
}

function renderEnv(guess: AppGuess | undefined): string {
  const values = Object.entries(guess?.env.value ?? {});
  if (values.length === 0) return '# For example: env: { NODE_ENV: production, LOG_LEVEL: info }\nenv: {}';
  return `${comments(guess?.env.why ?? [])}env:\n${values.map(([name, value]) => `  ${name}: ${scalar(value)}`).join('\n')}`;
}

/** Comment lines at `indent`, each ending in a newline; line breaks in a reason become new lines. */
function comments(lines: readonly string[], indent = ''): string {
  return lines
    .flatMap((line) => line.split(/\r?\n/))
    .map((line) => `${indent}# ${line}`.trimEnd() + '\n')
    .join('');
}

function renderList(values: readonly string[]): string {
  return `[${values.map((value) => scalar(value)).join(', ')}]`;
}

/** A valid app name from a directory name: `My App_2` → `my-app-2`; `app` when nothing usable is left. */
export function deriveAppName(directoryName: string): string {
  const name = directoryName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name === '' ? 'app' : name;
}

/** A value as one YAML line (never folded: a folded line under a nested key would lose its indentation). */
function scalar(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}
