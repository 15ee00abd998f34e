import { formatDurationMs, parseDurationMs } from '../core/duration.js';
import { ENV_LIMITS, envBytes } from './env-schema.js';
import { hostName } from './config-values.js';
import type { PathIssue } from './path-issue.js';
import type { SlipwayConfig } from './schema.js';
import { suggestClosest } from './suggest-key.js';
import { validateCronRules } from './validate-cron-rules.js';
import { validateFrontDoorRules } from './validate-front-door-rules.js';
import { validatePipelineRules } from './validate-pipeline-rules.js';
import { validateTriggerRules } from './validate-trigger-rules.js';

/**
 * Rules across keys that the schema cannot express, run on a config that passed the schema (defaults
 * filled in). Each issue points at the key to change.
 */
export function validateConfigRules(config: SlipwayConfig): PathIssue[] {
  return [
    ...checkHealthCheckTimeouts(config),
    ...checkPublicPorts(config),
    ...checkSecretsNotInEnv(config),
    ...checkSecretSourcesDeclared(config),
    ...checkEnvSize(config),
    ...validatePipelineRules(config),
    ...checkApproversExist(config),
    ...validateTriggerRules(config),
    ...validateFrontDoorRules(config),
    ...checkHookEnvironments(config),
    ...checkSharedNeedsProcesses(config),
    ...checkWorkerChecksNeedProcesses(config),
    ...checkWorkerRolesExist(config),
    ...validateCronRules(config),
    ...checkInstancesWithoutCanary(config),
  ];
}

/** A canary's share goes to one target; several instances per host switch as one group (blue/green, rolling). */
function checkInstancesWithoutCanary(config: SlipwayConfig): PathIssue[] {
  if (config.run.instances <= 1) return [];
  return Object.entries(config.environments).flatMap(([name, env]) =>
    env.strategy.kind === 'canary'
      ? [
          {
            path: ['environments', name, 'strategy', 'kind'],
            at: 'value' as const,
            message: `run.instances is ${config.run.instances}, and a canary sends its share of users to a single target: use strategy kind blue-green or rolling for environment ${name}, or run.instances: 1`,
          },
        ]
      : [],
  );
}

/** Shared directories are linked into release directories, which containers do not have. */
function checkSharedNeedsProcesses(config: SlipwayConfig): PathIssue[] {
  if (config.shared.length === 0 || config.runtime.kind === 'process') return [];
  return [
    {
      path: ['shared'],
      at: 'key',
      message:
        'shared directories are linked into release directories, which containers (runtime: docker) do not have: give a container named volumes instead (runtime.volumes, e.g. storage: /app/storage; docs/containers.md)',
    },
  ];
}

/** A worker process's role that no host of any environment has would run it nowhere: a typo, said where it is. */
function checkWorkerRolesExist(config: SlipwayConfig): PathIssue[] {
  const roles = new Set(
    Object.values(config.environments).flatMap((env) =>
      env.hosts.flatMap((h) => (h === 'local' ? [] : h.roles)),
    ),
  );
  return Object.entries(config.processes).flatMap(([name, process]) =>
    (process.roles ?? []).flatMap((role, at) =>
      roles.has(role)
        ? []
        : [
            {
              path: ['processes', name, 'roles', at],
              at: 'value' as const,
              message: `processes.${name}.roles names a role no host has: ${role} (give a host \`roles: [${role}]\`, or drop it to run ${name} on every host)`,
            },
          ],
    ),
  );
}

/** A worker's check command runs in its release directory, which containers do not have. */
function checkWorkerChecksNeedProcesses(config: SlipwayConfig): PathIssue[] {
  if (config.runtime.kind === 'process') return [];
  return Object.entries(config.processes).flatMap(([name, process]) =>
    process.health.command === undefined
      ? []
      : [
          {
            path: ['processes', name, 'health', 'command'],
            at: 'key' as const,
            message:
              'a check command runs in the release directory, which containers (runtime: docker) do not have; use `health.settle` alone for containers (docs/processes.md)',
          },
        ],
  );
}

/** A hook for an environment that is not there would never run: a typo, said where it is. */
function checkHookEnvironments(config: SlipwayConfig): PathIssue[] {
  const names = Object.keys(config.environments);
  return Object.entries(config.hooks).flatMap(
    ([point, hooks]: [string, SlipwayConfig['hooks']['beforeDeploy']]) =>
      hooks.flatMap((hook, index) =>
        (hook.environments ?? []).flatMap((environment, at) =>
          names.includes(environment)
            ? []
            : [
                {
                  path: ['hooks', point, index, 'environments', at],
                  at: 'value' as const,
                  message: `hooks.${point}[${index}] names an environment that is not defined: ${environment}${suggestClosest(environment, names) ? ` (did you mean ${suggestClosest(environment, names)}?)` : ''}`,
                },
              ],
        ),
      ),
  );
}

/** A single check that may take longer than the whole start-up allowance could never pass in time. */
function checkHealthCheckTimeouts(config: SlipwayConfig): PathIssue[] {
  const { timeout, startTimeout } = config.healthCheck;
  const timeoutMs = parseDurationMs(timeout) ?? 0;
  const startTimeoutMs = parseDurationMs(startTimeout) ?? 0;
  if (timeoutMs <= startTimeoutMs) return [];
  return [
    {
      path: ['healthCheck', 'timeout'],
      at: 'value',
      message: `healthCheck.timeout (${formatDurationMs(timeoutMs)}) is longer than healthCheck.startTimeout (${formatDurationMs(startTimeoutMs)}); a new target could fail its start-up before a single check finishes`,
    },
  ];
}

/** Each environment's router owns its public port on each of its hosts, so two cannot share one. */
function checkPublicPorts(config: SlipwayConfig): PathIssue[] {
  const owners = new Map<string, string>();
  const issues: PathIssue[] = [];
  for (const [name, environment] of Object.entries(config.environments)) {
    for (const host of new Set(environment.hosts.map(hostName))) {
      const slot = `${host}:${environment.publicPort}`;
      const owner = owners.get(slot);
      if (owner === undefined) {
        owners.set(slot, name);
        continue;
      }
      issues.push({
        path: ['environments', name, 'publicPort'],
        at: 'value',
        message: `publicPort ${environment.publicPort} is also the publicPort of environment "${owner}" on host "${host}"; give each environment on a host its own port`,
      });
      break;
    }
  }
  return issues;
}

/** A secret's value must never be written in slipway.yml, and a name cannot be both a secret and a plain variable. */
function checkSecretsNotInEnv(config: SlipwayConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  const appSecrets = new Set(config.secrets);
  const clash = (name: string, list: string, envKey: string): string =>
    `"${name}" is listed in ${list} and also set in ${envKey}; a secret's value must not be written in slipway.yml, so remove it from one of them`;

  for (const name of Object.keys(config.env)) {
    if (appSecrets.has(name))
      issues.push({ path: ['env', name], at: 'key', message: clash(name, 'secrets', 'env') });
  }
  for (const [envName, environment] of Object.entries(config.environments)) {
    const envSecrets = new Set(environment.secrets);
    for (const name of Object.keys(environment.env)) {
      if (appSecrets.has(name) || envSecrets.has(name)) {
        const list = envSecrets.has(name) ? `environments.${envName}.secrets` : 'secrets';
        const message = clash(name, list, `environments.${envName}.env`);
        issues.push({ path: ['environments', envName, 'env', name], at: 'key', message });
      }
    }
    environment.secrets.forEach((name, index) => {
      if (Object.hasOwn(config.env, name) && !appSecrets.has(name)) {
        issues.push({
          path: ['environments', envName, 'secrets', index],
          at: 'value',
          message: clash(name, `environments.${envName}.secrets`, 'env'),
        });
      }
    });
  }
  return issues;
}

/** A source for a name that is no secret would run a command for nothing: most likely a misspelt name. */
function checkSecretSourcesDeclared(config: SlipwayConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const [envName, environment] of Object.entries(config.environments)) {
    const declared = new Set([...config.secrets, ...environment.secrets]);
    for (const name of Object.keys(environment.secretSources)) {
      if (declared.has(name)) continue;
      const suggestion = suggestClosest(name, [...declared]);
      issues.push({
        path: ['environments', envName, 'secretSources', name],
        at: 'key',
        message: `"${name}" is not a secret of this environment (list it in secrets or environments.${envName}.secrets)${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
      });
    }
  }
  return issues;
}

/**
 * A target's environment from slipway.yml must fit in what an exec can carry (the kernel refuses it, and the
 * target never starts, past about 2 MiB with the rest of its environment).
 */
function checkEnvSize(config: SlipwayConfig): PathIssue[] {
  const max = ENV_LIMITS.totalBytes;
  const limit = `a target's environment holds at most ${max} bytes (${max / 1024 / 1024} MiB)`;
  const appBytes = envBytes(config.env);
  if (appBytes > max) return [{ path: ['env'], at: 'key', message: `env takes ${appBytes} bytes; ${limit}` }];
  const issues: PathIssue[] = [];
  for (const [name, environment] of Object.entries(config.environments)) {
    const bytes = envBytes({ ...config.env, ...environment.env });
    if (bytes <= max) continue;
    issues.push({
      path: ['environments', name, 'env'],
      at: 'key',
      message: `env and environments.${name}.env take ${bytes} bytes together; ${limit}`,
    });
  }
  return issues;
}

/** An approval that no one in the team can give would leave every deploy of the environment waiting forever. */
function checkApproversExist(config: SlipwayConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const [name, environment] of Object.entries(config.environments)) {
    environment.approvals?.required.forEach((requirement, index) => {
      const holders = Object.values(config.team).filter(
        (member) =>
          member.roles.includes(requirement.role) &&
          (!member.environments || member.environments.includes(name)),
      ).length;
      if (holders >= requirement.count) return;
      issues.push({
        path: ['environments', name, 'approvals', 'required', index, 'role'],
        at: 'value',
        message: `${requirement.count} ${requirement.role} approval${requirement.count === 1 ? '' : 's'} needed, but ${holders === 0 ? 'no one' : `only ${holders}`} in team: has the role ${requirement.role} for ${name}`,
      });
    });
  }
  return issues;
}
