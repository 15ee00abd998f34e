import { z } from 'zod';
import { ratioSchema } from './canary-schema.js';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';

/** Like ratioSchema, but may exceed 100% (a latency may be allowed to double: "100%"). */
const increaseSchema = z
  .union([
    z.number().min(0),
    z
      .string()
      .regex(/^\d+(\.\d+)?%$/, 'expected a percentage like "50%" or a fraction like 0.5')
      .transform((s) => Number(s.slice(0, -1)) / 100),
  ])
  .describe('A share: a fraction such as 0.5 or a percentage such as "50%" (may exceed 100%).');

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name');

export const smokeRequestSchema = z
  .strictObject({
    name: z.string().min(1).optional().describe('Name shown in results (default: METHOD path).'),
    method: z
      .enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
      .default('GET')
      .describe('HTTP method.'),
    path: z.string().startsWith('/').describe('Path (and query) requested on the environment.'),
    headers: z.record(headerName, z.string()).default({}).describe('Request headers.'),
    body: z.string().optional().describe('Request body.'),
    expect: z
      .strictObject({
        status: z.int().min(100).max(599).default(200).describe('Expected status code.'),
        headers: z
          .record(headerName, z.string())
          .default({})
          .describe(
            'Response headers that must be present; the value must contain this text ("" only asks for the header).',
          ),
        body: z
          .array(z.string())
          .default([])
          .describe('Fragments the body must contain; `{{release}}` is replaced by the version verified.'),
        json: z
          .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
          .default({})
          .describe(
            'JSON fields by path (`a.b[0].c`) and the value each must equal; `{{release}}` in a string value is replaced by the version verified.',
          ),
        within: duration()
          .default(DEFAULTS.verify.smokeTimeLimit)
          .describe('The whole answer must arrive within this time.'),
      })
      .default(() => ({
        status: 200,
        headers: {},
        body: [],
        json: {},
        within: DEFAULTS.verify.smokeTimeLimit,
      }))
      .describe('What the answer must look like.'),
  })
  .describe('One HTTP request and what its answer must look like.');

const performanceSchema = z
  .strictObject({
    connections: z
      .int()
      .min(1)
      .max(100)
      .default(DEFAULTS.verify.connections)
      .describe('Concurrent connections of the load run.'),
    duration: duration()
      .default(DEFAULTS.verify.loadDuration)
      .describe('How long the load run lasts (bounded: at most 60s).'),
    paths: z
      .array(z.string().startsWith('/'))
      .min(1)
      .default(['/'])
      .describe('Paths requested in turn (GET).'),
    maxThroughputDrop: ratioSchema
      .default(DEFAULTS.verify.maxThroughputDrop)
      .describe('Fails when requests per second fall by more than this share against the baseline.'),
    maxP95Increase: increaseSchema
      .default(DEFAULTS.verify.maxP95Increase)
      .describe('Fails when p95 latency rises by more than this share against the baseline.'),
    maxP99Increase: increaseSchema
      .default(DEFAULTS.verify.maxP99Increase)
      .describe('Fails when p99 latency rises by more than this share against the baseline.'),
    minLatencyIncrease: duration({ allowZero: true })
      .default(DEFAULTS.verify.minLatencyIncrease)
      .describe(
        'A latency rise counts only when it is also at least this much (a 1 ms baseline doubling to 2 ms is noise).',
      ),
    maxErrorRate: ratioSchema
      .default(DEFAULTS.verify.maxErrorRate)
      .describe('Fails when more than this share of requests end in 5xx, a socket error or a timeout.'),
  })
  .describe(
    'A bounded load run (autocannon) compared with the baseline: the last passing verification of an earlier release in this environment.',
  );

const securitySchema = z
  .strictObject({
    path: z.string().startsWith('/').default('/').describe('Path whose answer must carry `headers`.'),
    headers: z
      .record(headerName, z.string())
      .default({})
      .describe(
        'Security headers that must be present on `path`; the value must contain this text ("" only asks for the header).',
      ),
    forbiddenPaths: z
      .array(z.string().startsWith('/'))
      .default([...DEFAULTS.verify.forbiddenPaths])
      .describe('Paths that must not be served: a 2xx answer fails.'),
    tls: z
      .strictObject({
        minDaysValid: z
          .int()
          .min(0)
          .default(DEFAULTS.verify.tlsMinDaysValid)
          .describe('The certificate must stay valid at least this many more days.'),
        minVersion: z
          .enum(['TLSv1.2', 'TLSv1.3'])
          .default('TLSv1.2')
          .describe('Lowest acceptable negotiated protocol.'),
        ca: z
          .string()
          .optional()
          .describe('PEM file of a CA to trust besides the system ones (relative to slipway.yml).'),
      })
      .default({ minDaysValid: DEFAULTS.verify.tlsMinDaysValid, minVersion: 'TLSv1.2' })
      .describe('Checks of the certificate and protocol; run when `verify.url` is https.'),
    allowedPorts: z
      .array(z.int().min(1).max(65535))
      .optional()
      .describe(
        "When set, every host of the environment may listen on these ports (besides the environment's public and edge ports) on non-loopback addresses; any other listener fails. Read with `ss -ltn` or /proc/net/tcp on the host.",
      ),
  })
  .describe('Security headers, paths that must not be served, TLS, and open ports.');

const commandCheckSchema = z
  .strictObject({
    name: z.string().min(1).describe('Name shown in results.'),
    run: z
      .string()
      .min(1)
      .describe(
        'Shell command run on the control plane in the project directory; exit 0 passes. BASE_URL, RELEASE and PREVIOUS_RELEASE are set.',
      ),
    timeout: duration().default(DEFAULTS.verify.commandTimeout).describe('A command that runs longer fails.'),
  })
  .describe('A command whose exit code decides.');

const compatibilitySchema = z
  .strictObject({
    previousSmoke: z
      .boolean()
      .default(true)
      .describe(
        'Run the smoke suite of the release that served before (from its stored config snapshot) against the new release: does it still answer old clients?',
      ),
    commands: z.array(commandCheckSchema).default([]).describe('Custom command checks.'),
  })
  .describe('Does the new release still answer what the previous one promised.');

export const verifySchema = z
  .strictObject({
    url: z
      .url()
      .optional()
      .describe(
        "Base URL the checks use (https enables the TLS checks); default: the environment's edge or first host's router, over http.",
      ),
    onFailure: z
      .enum(['keep', 'rollback'])
      .default('keep')
      .describe(
        '`keep`: a failed verification fails the deployment but leaves the new release serving for inspection (it is blocked from promotion); `rollback`: traffic goes back to the previous release.',
      ),
    smoke: z.array(smokeRequestSchema).default([]).describe('HTTP requests that must answer as expected.'),
    performance: performanceSchema.optional(),
    security: securitySchema.optional(),
    compatibility: compatibilitySchema.optional(),
  })
  .describe(
    'Verification run after every deploy to this environment; results are stored per release, and a failure blocks promotion.',
  );

export type VerifyConfig = z.output<typeof verifySchema>;
export type SmokeRequestConfig = z.output<typeof smokeRequestSchema>;
