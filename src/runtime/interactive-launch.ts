import type { ContainerSpec } from '../agent/protocol.js';
import { deriveVolumeMounts, APP_LABEL, ENVIRONMENT_LABEL, RELEASE_LABEL } from './container-config.js';
import { RUN_LABEL } from './docker-run-once.js';

/**
 * What `slipway run -i/-t` starts on a host, as data: an argv with its environment, run in the release directory
 * (`inRelease`) or anywhere (a container, whose image has its own working directory). The host starts it with the
 * user's terminal attached (src/hosts: local-host.ts, ssh-interactive.ts).
 */
export interface InteractiveLaunch {
  argv: string[];
  /** The whole environment of the command (secrets included), on top of the host's PATH, HOME and TERM. */
  env: Record<string, string>;
  /** A terminal for it (`-t`); else its stdin is a plain stream. */
  tty: boolean;
  inRelease?: { app: string; release: string };
}

/**
 * The launch of an interactive command. A process runs in its release directory; a container release runs the
 * `docker` CLI of the host against the engine's socket (`docker run --rm -i [-t]`), with the same volumes, limits,
 * labels and environment as `slipway run`'s one-off container, the environment handed over by name (`-e NAME`) so
 * that no value is on a command line. Pure.
 */
export function deriveInteractiveLaunch(input: {
  app: string;
  release: string;
  argv: string[];
  env: Record<string, string>;
  tty: boolean;
  container?: ContainerSpec;
}): InteractiveLaunch {
  const { app, release, argv, env, tty, container } = input;
  if (!container) return { argv, env, tty, inRelease: { app, release } };
  const labels = {
    [APP_LABEL]: app,
    [RELEASE_LABEL]: release,
    [ENVIRONMENT_LABEL]: container.environment,
    [RUN_LABEL]: 'true',
  };
  return {
    argv: [
      'docker',
      '-H',
      `unix://${container.socket}`,
      'run',
      '--rm',
      '-i',
      ...(tty ? ['-t'] : []),
      '--init',
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      ...deriveVolumeMounts(app, container).flatMap((m) => [
        '--mount',
        `type=volume,src=${m.Source},dst=${m.Target}`,
      ]),
      ...(container.memoryBytes !== null ? ['--memory', String(container.memoryBytes)] : []),
      ...(container.cpus !== null ? ['--cpus', String(container.cpus)] : []),
      ...Object.keys(env).flatMap((name) => ['-e', name]),
      container.image,
      ...argv,
    ],
    env,
    tty,
  };
}
