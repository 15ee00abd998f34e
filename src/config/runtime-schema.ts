import { z } from 'zod';
import { parseByteSize } from './config-values.js';
import { DEFAULTS } from './defaults.js';

const byteSizeSchema = z
  .string()
  .refine((s) => (parseByteSize(s) ?? 0) >= 6 * 1024 ** 2, {
    message: 'expected a size of at least 6m, like "256m" or "1g"',
  })
  .describe('A size in bytes with an optional unit (k, m, g), e.g. "256m".');

/** A registry as `host[:port]/path`: the old string form, without credentials (still accepted). */
const registryString = z
  .string()
  .regex(
    /^[A-Za-z0-9.-]+(:\d+)?(\/[a-z0-9._/-]+)?$/,
    'expected a registry like registry.example.com:5000/team',
  )
  .describe(
    'A registry without credentials, e.g. registry.example.com/team: the image is pushed as <registry>/<app>. Use the object form for a registry that needs a login.',
  );

const registryObject = z
  .strictObject({
    server: z
      .string()
      .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'expected host[:port], e.g. registry.example.com:5000')
      .describe("The registry's host[:port], e.g. registry.example.com:5000 (HTTPS)."),
    repository: z
      .string()
      .regex(
        /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/,
        'expected a repository like team/app',
      )
      .optional()
      .describe('The repository in the registry, e.g. team/app (default: the app name).'),
    username: z.string().min(1).optional().describe('The user `release create` pushes and hosts pull as.'),
    passwordSecret: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a secret name')
      .optional()
      .describe(
        "The name of the secret holding the user's password (or token), loaded like any secret (docs/secrets.md); sent to each host's Docker Engine for the pull only, never written on hosts.",
      ),
    ca: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A PEM CA bundle (relative to slipway.yml) the control plane trusts for the registry's HTTPS (the deploy's registry check). Docker Engines trust a private CA through /etc/docker/certs.d/<server>/ca.crt on their host.",
      ),
  })
  .refine((r) => (r.username === undefined) === (r.passwordSecret === undefined), {
    message: 'username and passwordSecret go together: give both (a registry with a login) or neither',
  })
  .describe('A registry, with a login when it needs one (see docs/containers.md, Registries).');

const registrySchema = z
  .union([registryString, registryObject])
  .describe(
    'A registry: release images are pushed there at `release create` and pulled by hosts, pinned by digest. Without one, the image is saved once and uploaded to hosts that lack it.',
  );

/** Docker's own rule for volume names, kept short enough to prefix with the app and environment. */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** A mount path: absolute, normalized, not the root. */
const mountPathSchema = z
  .string()
  .regex(/^(\/[^/\0]+)+$/, 'expected an absolute path inside the container, like /app/storage')
  .refine((p) => !p.split('/').some((part) => part === '.' || part === '..'), {
    message: 'expected a path without . or .. parts',
  });

/** Two mounts where one holds the other would hide part of a volume. Pure. */
function findNestedMount(paths: string[]): [string, string] | null {
  for (const a of paths) for (const b of paths) if (a !== b && b.startsWith(`${a}/`)) return [a, b];
  return null;
}

const volumesSchema = z
  .record(
    z.string().regex(VOLUME_NAME, 'expected a volume name like storage (letters, digits, _ . -)'),
    mountPathSchema,
  )
  .default({})
  .superRefine((volumes, ctx) => {
    const paths = Object.values(volumes);
    const twice = paths.find((p, i) => paths.indexOf(p) !== i);
    if (twice !== undefined) ctx.addIssue({ code: 'custom', message: `two volumes are mounted at ${twice}` });
    const nested = findNestedMount(paths);
    if (nested) {
      ctx.addIssue({
        code: 'custom',
        message: `${nested[1]} is inside ${nested[0]}: mount one or the other`,
      });
    }
  })
  .describe(
    'Named volumes that outlive releases, as name: mount path in the container (e.g. storage: /app/storage). Each is the Docker volume slipway_<app>_<environment>_<name> on each host, created at the first start and mounted into every container of the environment; never removed with releases or images (see docs/containers.md).',
  );

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
    registry: registrySchema.optional(),
    memory: byteSizeSchema
      .optional()
      .describe('Memory limit of each container, e.g. "256m" (none when unset).'),
    cpus: z
      .number()
      .positive()
      .max(1024)
      .optional()
      .describe('CPU limit of each container in cores, e.g. 0.5 (none when unset).'),
    volumes: volumesSchema,
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
export type RegistryConfig = z.output<typeof registrySchema>;
