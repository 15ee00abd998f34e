import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseDurationMs } from '../core/duration.js';
import {
  checkDuration,
  durationBoundsOf,
  formatMaxMs,
  MAX_SPAN_MS,
  MAX_TIMER_MS,
  type DurationBounds,
} from './duration-schema.js';
import { configSchema } from './schema.js';

const TIMER: DurationBounds = { allowZero: false, maxMs: MAX_TIMER_MS };
const TIMER_OR_ZERO: DurationBounds = { allowZero: true, maxMs: MAX_TIMER_MS };
const SPAN: DurationBounds = { allowZero: false, maxMs: MAX_SPAN_MS };

describe('checkDuration', () => {
  it.each([
    ['5 minutes', TIMER, 'expected a duration like "5m", "30s" or "500ms"'],
    ['0s', TIMER, 'expected a duration above 0'],
    ['0.4ms', TIMER, 'expected a duration above 0'],
    ['30d', TIMER, 'expected at most 24d20h31m23s647ms (2^31-1 ms, the longest a timer can wait)'],
    [
      '24d20h31m23s648ms',
      TIMER_OR_ZERO,
      'expected at most 24d20h31m23s647ms (2^31-1 ms, the longest a timer can wait)',
    ],
    ['99999999999d', SPAN, 'expected at most 3650d'],
  ])('refuses %j for %o', (text, bounds, message) => {
    expect(checkDuration(text, bounds)).toBe(message);
  });

  it.each([
    ['1ms', TIMER],
    ['0s', TIMER_OR_ZERO],
    ['24d20h31m23s647ms', TIMER],
    ['30d', SPAN],
    ['3650d', SPAN],
  ])('accepts %j for %o', (text, bounds) => {
    expect(checkDuration(text, bounds)).toBeUndefined();
  });
});

describe('formatMaxMs', () => {
  it('writes a bound exactly, in units a config reads back', () => {
    expect(formatMaxMs(MAX_TIMER_MS)).toBe('24d20h31m23s647ms');
    expect(parseDurationMs(formatMaxMs(MAX_TIMER_MS))).toBe(MAX_TIMER_MS);
    expect(formatMaxMs(MAX_SPAN_MS)).toBe('3650d');
    expect(formatMaxMs(90_500)).toBe('1m30s500ms');
    expect(formatMaxMs(0)).toBe('0s');
  });
});

/** Every duration of a schema with its key path, through objects, lists, records, unions and wrappers. */
function durationsIn(schema: z.core.$ZodType, path: string, out: Map<string, DurationBounds>): void {
  const bounds = durationBoundsOf(schema);
  if (bounds) {
    out.set(path, bounds);
    return;
  }
  if (schema instanceof z.ZodObject) {
    for (const [key, field] of Object.entries<z.core.$ZodType>(schema.shape))
      durationsIn(field, path ? `${path}.${key}` : key, out);
  } else if (schema instanceof z.ZodArray) {
    durationsIn(schema.element, `${path}[]`, out);
  } else if (schema instanceof z.ZodRecord) {
    durationsIn(schema.valueType, `${path}.<name>`, out);
  } else if (schema instanceof z.ZodUnion) {
    for (const option of schema.options) durationsIn(option, path, out);
  } else if (
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodNullable
  ) {
    durationsIn(schema.unwrap(), path, out);
  } else if (schema instanceof z.ZodPipe) {
    durationsIn(schema.in, path, out);
  }
}

describe('the durations of slipway.yml', () => {
  const all = new Map<string, DurationBounds>();
  durationsIn(configSchema, '', all);
  const keys = (want: (b: DurationBounds) => boolean): string[] =>
    [...all].filter(([, b]) => want(b)).map(([path]) => path);

  // The decision per key, in one place: 0 only where it means "no wait", "no grace period" or "no minimum";
  // the span bound only where the duration is compared with clock readings and never waited for.
  it('allow 0 only where it means something', () => {
    expect(keys((b) => b.allowZero)).toEqual([
      'run.stopTimeout',
      'processes.<name>.stopTimeout', // 0: SIGKILL at once
      'processes.<name>.health.settle', // 0: healthy once started (then its check command, if any)
      'environments.<name>.tls.hsts.maxAge', // 0: browsers forget the rule
      'environments.<name>.strategy.drainTimeout',
      'environments.<name>.strategy.keepWarm',
      'environments.<name>.strategy.steps[].pause',
      'environments.<name>.strategy.analysis.latencyMinDifference',
      'environments.<name>.strategy.pauseBetweenBatches',
      'environments.<name>.monitoring.youngFor',
      'environments.<name>.monitoring.probe.tlsMinValidity',
      'environments.<name>.monitoring.alerts[].for',
      'environments.<name>.verify.performance.minLatencyIncrease',
    ]);
  });

  it('exceed what a timer holds only where nothing waits for them', () => {
    expect(keys((b) => b.maxMs === MAX_SPAN_MS)).toEqual([
      'environments.<name>.tls.hsts.maxAge', // sent to browsers in seconds
      'environments.<name>.approvals.expiresAfter',
      'environments.<name>.monitoring.window',
      'environments.<name>.monitoring.youngFor',
      'environments.<name>.monitoring.probe.tlsMinValidity',
      'environments.<name>.monitoring.crashLoop.within',
      'environments.<name>.monitoring.retention.raw',
      'environments.<name>.monitoring.retention.minute',
      'environments.<name>.monitoring.retention.tenMinutes',
      'environments.<name>.monitoring.alerts[].for',
      'watch.webhook.replayTolerance',
    ]);
  });

  it('are bounded tighter only where something else caps them (the edge: undici behind its own timers)', () => {
    expect(keys((b) => b.maxMs !== MAX_SPAN_MS && b.maxMs !== MAX_TIMER_MS)).toEqual([
      'environments.<name>.edge.connectTimeout',
      'environments.<name>.edge.answerTimeout.min',
      'environments.<name>.edge.answerTimeout.max',
    ]);
  });

  it('include the waits inside lists and unions', () => {
    expect([...all.keys()]).toEqual(
      expect.arrayContaining([
        'environments.<name>.strategy.steps[].analysis.timeout',
        'environments.<name>.strategy.analysis.checks[].timeout',
        'environments.<name>.verify.smoke[].expect.within',
        'environments.<name>.verify.compatibility.commands[].timeout',
      ]),
    );
  });
});
