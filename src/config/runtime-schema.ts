import { z } from 'zod';
import { parseByteSize } from './config-values.js';
import { DEFAULTS } from './defaults.js';

const byteSizeSchema = z
  .string()
  .refine((s) => (parseByteSize(s) ?? 0) >= 6 * 1024 ** 2, {
    message: 'expected a size of at least 6m, like "256m" or "1g"',
  })
  .describe('A size in bytes with an optional unit (k, m, g), e.g. "256m".');

const processRuntime = z
  .strictObject({
    kind: z.literal('process'),
  })
  .describe('Each target is a process group started with run.command in its release directory.');

const dockerRuntime = z
  .strictObject({
    kind: z.literal('docker'),
    dockerfile: z
      .string()
      .default(DEFAULTS.runtime.dockerfile)
      .describe('Dockerfile (relative to build.path) that `slipway release create` builds the image from.'),
    socket: z
      .string()
      .startsWith('/')
      .default(DEFAULTS.runtime.socket)
      .describe(
        "The Docker Engine's unix socket on each host; the agent talks to it (the Docker port is never opened).",
      ),
    buildSocket: z
      .string()
      .startsWith('/')
      .optional()
      .describe(
        'The Docker Engine socket `slipway release create` builds with; defaults to DOCKER_HOST (unix://…) or `socket`.',
      ),
    registry: z
      .string()
      .optional()
      .describe(
        'A registry (e.g. registry.example.com/team): images are pushed there at release and pulled by hosts. Without one, the image is saved once and uploaded to hosts that lack it.',
      ),
    memory: byteSizeSchema
      .optional()
      .describe('Memory limit of each container, e.g. "256m" (none when unset).'),
    cpus: z
      .number()
      .positive()
      .max(1024)
      .optional()
      .describe('CPU limit of each container in cores, e.g. 0.5 (none when unset).'),
  })
  .describe(
    'Each target is a container of the release image; run.command runs in it through /bin/sh -c and must listen on $PORT on all interfaces.',
  );

export const runtimeSchema = z
  .discriminatedUnion('kind', [processRuntime, dockerRuntime])
  .default({ kind: 'process' })
  .describe('How targets run on hosts: processes, or Docker containers (see docs/containers.md).');

export type RuntimeConfig = z.output<typeof runtimeSchema>;
export type DockerRuntimeConfig = Extract<RuntimeConfig, { kind: 'docker' }>;
