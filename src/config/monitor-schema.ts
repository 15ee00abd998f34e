import { z } from 'zod';
import { parseAlertCondition } from './alert-condition.js';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';

const M = DEFAULTS.monitoring;

const alertRuleSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case name like "high-error-rate"')
      .describe('Name of the rule, shown in the ledger, `slipway status` and notifications.'),
    when: z
      .string()
      .superRefine((text, ctx) => {
        const parsed = parseAlertCondition(text);
        if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
      })
      .describe(
        'Condition over a metric: `<metric> <op> <number>[unit]`, e.g. `errorRate > 2%`, `p99 > 300ms`, `disk > 90%`, `restarts > 2`. Metrics: errorRate, p99, requestRate, cpu, memory, disk, load, restarts, probeLatency, probeFailures, jobFailures (docs/monitoring.md).',
      ),
    for: duration({ allowZero: true, max: 'span' })
      .default(M.alertFor)
      .describe('How long the condition must hold before the alert fires (`0s`: at the first round).'),
    severity: z.enum(['info', 'warning', 'critical']).default('warning').describe('How urgent it is.'),
    rollback: z
      .boolean()
      .default(false)
      .describe(
        'When it fires while the serving release is young (`youngFor` since its deploy), roll back to the previous release.',
      ),
  })
  .describe('An alert rule: fires when `when` holds for `for`, resolves when it stops holding.');

export const monitoringSchema = z
  .strictObject({
    interval: duration()
      .default(M.interval)
      .describe('Time between two collection rounds of `slipway monitor` (bounded to 1s–10m).'),
    sampleInterval: duration()
      .default(M.sampleInterval)
      .describe("How often each host's agent samples host, targets and traffic (bounded to 200ms–1m)."),
    window: duration({ max: 'span' })
      .default(M.window)
      .describe('The window errorRate, p99, requestRate, restarts and jobFailures are computed over.'),
    youngFor: duration({ allowZero: true, max: 'span' })
      .default(M.youngFor)
      .describe(
        'A release is young this long after the deploy that made it serve: rules with `rollback` act only then.',
      ),
    probe: z
      .strictObject({
        url: z
          .url()
          .optional()
          .describe(
            "The public address to check (http or https). Default: the edge's port, else the first host's router port, at `path`.",
          ),
        path: z
          .string()
          .startsWith('/')
          .default(M.probe.path)
          .describe('Path probed on the default address.'),
        timeout: duration().default(M.probe.timeout).describe('A probe that takes longer fails.'),
        expectStatus: z
          .array(z.int().min(100).max(599))
          .optional()
          .describe('Statuses that count as up; default: any 2xx or 3xx.'),
        failures: z
          .int()
          .min(1)
          .max(100)
          .default(M.probe.failures)
          .describe('Failed probes in a row before an incident is opened (one success resolves it).'),
        tlsMinValidity: duration({ allowZero: true, max: 'span' })
          .default(M.probe.tlsMinValidity)
          .describe('With https: a certificate that expires sooner than this counts as a failure.'),
      })
      .default(() => ({
        path: M.probe.path,
        timeout: M.probe.timeout,
        failures: M.probe.failures,
        tlsMinValidity: M.probe.tlsMinValidity,
      }))
      .describe(
        'The access probe: from the control plane to the public address, after each deploy and each round.',
      ),
    errorPatterns: z
      .array(
        z.string().refine((p) => {
          try {
            new RegExp(p);
            return true;
          } catch {
            return false;
          }
        }, 'expected a valid regular expression'),
      )
      .default([])
      .describe("Regular expressions; the targets' log lines that match are counted per release as errors."),
    crashLoop: z
      .strictObject({
        restarts: z
          .int()
          .min(1)
          .max(1000)
          .default(M.crashLoop.restarts)
          .describe('Restarts of one target after crashes …'),
        within: duration({ max: 'span' })
          .default(M.crashLoop.within)
          .describe('… within this time make a crash loop.'),
      })
      .default({ restarts: M.crashLoop.restarts, within: M.crashLoop.within })
      .describe(
        'When repeated crashes of a target are reported as a crash loop (with the last lines of its stderr).',
      ),
    errorBurst: z
      .strictObject({
        minErrors: z
          .int()
          .min(1)
          .default(M.errorBurst.minErrors)
          .describe(
            '5xx answers of one release on one host, collected in one round, that make a burst (reported with sample requests).',
          ),
      })
      .default({ minErrors: M.errorBurst.minErrors })
      .describe('When 5xx answers are reported as a burst.'),
    retention: z
      .strictObject({
        raw: duration({ max: 'span' })
          .default(M.retention.raw)
          .describe('Samples are kept as taken for this long …'),
        minute: duration({ max: 'span' })
          .default(M.retention.minute)
          .describe('… then as 1-minute averages for this long …'),
        tenMinutes: duration({ max: 'span' })
          .default(M.retention.tenMinutes)
          .describe('… then as 10-minute averages for this long, then dropped.'),
      })
      .default({ raw: M.retention.raw, minute: M.retention.minute, tenMinutes: M.retention.tenMinutes })
      .describe(
        'How long collected samples are kept (downsampling keeps gaps: an empty minute stays empty).',
      ),
    alerts: z.array(alertRuleSchema).default([]).describe('Alert rules of this environment.'),
  })
  .describe(
    'Watching a release after it is live: metrics collection, access probe, error reports, alerts (docs/monitoring.md).',
  );

export type MonitoringConfig = z.output<typeof monitoringSchema>;
export type AlertRuleConfig = z.output<typeof alertRuleSchema>;
