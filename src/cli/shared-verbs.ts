import { addVerb, declareVerb, type DeclaredVerb } from './declare-verb.js';
import { countOption } from './parse-options.js';
import type { RegisterVerbs } from './verbs.js';

// The verbs that run here or, with --server (or SLIPWAY_SERVER), on a team's slipway server (docs/cli-remote.md):
// each declared once, with its local action (its verb file) and its remote one (src/cli/remote/), both loaded
// only when the verb runs. An option added here exists in both modes; one the server cannot honour is marked
// `localOnly` and refused over --server. This file is small on purpose: both programs load it before parsing.

const REASON = { flags: '--reason <text>', description: 'why (kept in the ledger)' } as const;
const JSON_OUTPUT = { flags: '--json', description: 'print as JSON' } as const;
const APPROVAL_TARGET = {
  name: '<deployment>',
  description: 'deployment id (or an environment name: its running deployment)',
} as const;
const SIGNAL_TARGET = {
  name: '<env>',
  description: 'environment name: its running deployment (over --server also a deployment id)',
} as const;

export const SHARED_VERBS: readonly DeclaredVerb[] = [
  {
    name: 'release',
    description: 'create releases',
    subcommands: [
      declareVerb({
        name: 'create',
        description:
          "run the build (over --server: in the server's project) and store an immutable release (artifact + config snapshot)",
        options: [
          {
            flags: '-v, --version <version>',
            description: 'version of the release (default: the git commit of the project)',
          },
          {
            flags: '-e, --environment <env>',
            description:
              'whose secrets hold the registry password for the push (default: the first environment; SLIPWAY_SECRET_<NAME> comes first)',
          },
        ],
        local: async () => (await import('./releases.js')).releaseCreateHere,
        remote: async () => (await import('./remote/remote-reads.js')).releaseCreateOnServer,
      }),
    ],
  },
  declareVerb({
    name: 'releases',
    description: 'list the releases, newest first',
    options: [JSON_OUTPUT],
    local: async () => (await import('./releases.js')).releasesHere,
    remote: async () => (await import('./remote/remote-reads.js')).releasesOnServer,
  }),
  declareVerb({
    name: 'plan',
    description:
      'print the exact plan of a deployment (stages, steps, hosts, health checks, rollback) without running it',
    arguments: [{ name: '[env]', description: 'environment name (not with --pipeline)' }],
    options: [
      { flags: '-r, --release <version>', description: 'release to plan for (default: the newest release)' },
      {
        flags: '--pipeline',
        description: "print the release's whole path: each environment of the pipeline and its gates now",
        localOnly: true,
      },
      { flags: '--json', description: 'print the plan as JSON' },
    ],
    local: async () => (await import('./plan.js')).planHere,
    remote: async () => (await import('./remote/remote-reads.js')).planOnServer,
  }),
  declareVerb({
    name: 'deploy',
    description:
      'deploy a release to an environment (live progress; one deploy per environment at a time; over --server Ctrl-C detaches)',
    arguments: [{ name: '<env>', description: 'environment name' }],
    options: [
      { flags: '-r, --release <version>', description: 'release to deploy (default: the newest release)' },
      { flags: '--resume', description: 'continue the interrupted deployment of this environment' },
      { flags: '--reason <text>', description: 'why (kept in the ledger; required with --override-freeze)' },
      {
        flags: '--at <time>',
        description: 'do not start before this time (ISO, "YYYY-MM-DD HH:MM" in --timezone, or +10m)',
        localOnly: true,
      },
      {
        flags: '--timezone <zone>',
        description: 'time zone of a local --at time',
        default: 'UTC',
        localOnly: true,
      },
      {
        flags: '--override-freeze',
        description: 'deploy during a freeze (needs --reason and a role that may)',
        localOnly: true,
      },
    ],
    local: async () => (await import('./deploy.js')).deployHere,
    remote: async () => (await import('./remote/remote-deploy.js')).deployOnServer,
  }),
  declareVerb({
    name: 'rollback',
    description:
      'go back to the previous (or named) release: a switch while it is warm, else a start from its artifact',
    arguments: [{ name: '<env>', description: 'environment name' }],
    options: [
      {
        flags: '--to <version>',
        description: 'release to go back to (default: the one that served before the current one)',
      },
      REASON,
      {
        flags: '--down',
        description: "also run the down migrations of what the older release doesn't have (backup first)",
        localOnly: true,
      },
    ],
    local: async () => (await import('./rollback.js')).rollbackHere,
    remote: async () => (await import('./remote/remote-deploy.js')).rollbackOnServer,
  }),
  declareVerb({
    name: 'promote',
    description: 'end the current pause of a canary (a pause {} or an inconclusive analysis) and go on',
    arguments: [SIGNAL_TARGET],
    options: [REASON],
    local: async () => (await import('./promote.js')).signalHere('promote'),
    remote: async () => (await import('./remote/remote-decisions.js')).signalOnServer('promote'),
  }),
  declareVerb({
    name: 'abort',
    description: 'abort the running canary: its weight goes to 0 at once, its targets stop',
    arguments: [SIGNAL_TARGET],
    options: [REASON],
    local: async () => (await import('./promote.js')).signalHere('abort'),
    remote: async () => (await import('./remote/remote-decisions.js')).signalOnServer('abort'),
  }),
  declareVerb({
    name: 'unlock',
    description:
      "remove an environment's deploy lock whose holder died on another machine (ledgered with you and the reason)",
    arguments: [{ name: '<env>', description: 'environment name' }],
    options: [
      { flags: '--reason <text>', description: 'why (required, kept in the ledger)', required: true },
    ],
    local: async () => (await import('./unlock.js')).unlockHere,
    remote: async () => (await import('./remote/remote-decisions.js')).unlockOnServer,
  }),
  {
    name: 'maintenance',
    description: 'maintenance mode: the router answers 503 with a page (health checks and testers pass)',
    subcommands: [
      declareVerb({
        name: 'on',
        description:
          'users of <env> get 503 with a page and Retry-After; the health check path and testers with the printed token reach the app (ledgered)',
        arguments: [{ name: '<env>', description: 'environment name' }],
        options: [
          { flags: '--message <text>', description: 'what the page says (default: back shortly)' },
          { flags: '--retry-after <duration>', description: 'Retry-After sent to clients (default: 5m)' },
        ],
        local: async () => (await import('./maintenance.js')).maintenanceOnHere,
        remote: async () => (await import('./remote/remote-maintenance.js')).maintenanceOnOnServer,
      }),
      declareVerb({
        name: 'off',
        description: 'users of <env> reach the app again (ledgered)',
        arguments: [{ name: '<env>', description: 'environment name' }],
        local: async () => (await import('./maintenance.js')).maintenanceOffHere,
        remote: async () => (await import('./remote/remote-maintenance.js')).maintenanceOffOnServer,
      }),
      declareVerb({
        name: 'status',
        description: "whether <env>'s hosts are in maintenance, since when, by whom, with which message",
        arguments: [{ name: '<env>', description: 'environment name' }],
        options: [JSON_OUTPUT],
        local: async () => (await import('./maintenance.js')).maintenanceStatusHere,
        remote: async () => (await import('./remote/remote-maintenance.js')).maintenanceStatusOnServer,
      }),
    ],
  },
  declareVerb({
    name: 'approve',
    description: 'approve a deployment that waits for approval (who approved is kept in the ledger)',
    arguments: [APPROVAL_TARGET],
    options: [{ flags: '--comment <text>', description: 'a note kept with the approval' }],
    local: async () => (await import('./approve.js')).approveHere,
    remote: async () => (await import('./remote/remote-decisions.js')).approveOnServer,
  }),
  declareVerb({
    name: 'reject',
    description: 'reject a deployment that waits for approval; it fails before changing anything',
    arguments: [APPROVAL_TARGET],
    options: [
      { flags: '--comment <text>', description: 'why (required, kept in the ledger)', required: true },
    ],
    local: async () => (await import('./approve.js')).rejectHere,
    remote: async () => (await import('./remote/remote-decisions.js')).rejectOnServer,
  }),
  declareVerb({
    name: 'status',
    description: 'what serves each environment now: targets, health, warm releases, last deployment, lock',
    arguments: [
      { name: '[env]', description: 'environment name (default: all; over --server: all you may read)' },
    ],
    options: [JSON_OUTPUT],
    local: async () => (await import('./status.js')).statusHere,
    remote: async () => (await import('./remote/remote-reads.js')).statusOnServer,
  }),
  declareVerb({
    name: 'history',
    description: 'the ledger: who deployed what, where, when, and what happened (newest first)',
    arguments: [{ name: '[env]', description: 'only this environment' }],
    options: [
      {
        flags: '-n, --limit <n>',
        description: 'how many events',
        parse: countOption('--limit', 'a number of events', 1),
        default: 30,
      },
      JSON_OUTPUT,
    ],
    local: async () => (await import('./history.js')).historyHere,
    remote: async () => (await import('./remote/remote-reads.js')).historyOnServer,
  }),
  declareVerb({
    name: 'logs',
    description: "print the targets' output (the serving target first); --follow keeps streaming",
    arguments: [{ name: '<env>', description: 'environment name' }],
    options: [
      { flags: '-f, --follow', description: 'keep printing new lines until Ctrl-C', localOnly: true },
      {
        flags: '-n, --lines <n>',
        description: 'lines from the end of each log',
        parse: countOption('--lines', 'a number of lines', 1),
        default: 50,
      },
      { flags: '-t, --target <id>', description: 'only this target', localOnly: true },
      {
        flags: '-p, --process <name>',
        description: 'only this process: a name under `processes`, or web',
        localOnly: true,
      },
      { flags: '-j, --job <name>', description: "a scheduled job's output (cron)", localOnly: true },
    ],
    local: async () => (await import('./logs.js')).logsHere,
    remote: async () => (await import('./remote/remote-reads.js')).logsOnServer,
  }),
];

/** The shared verb of this name. */
export function sharedVerb(name: string): DeclaredVerb {
  const verb = SHARED_VERBS.find((v) => v.name === name);
  if (!verb) throw new Error(`no shared verb ${name}`);
  return verb;
}

/** The local program's registration of these shared verbs (src/cli/verbs.ts loads it for them). */
export function registerHere(names: readonly string[]): RegisterVerbs {
  return (program, globals) => {
    for (const name of names) addVerb(program, sharedVerb(name), { mode: 'local', globals });
  };
}
