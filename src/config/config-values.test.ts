import { describe, expect, it } from 'vitest';
import { monitoringOf } from './config-values.js';
import { monitoringSchema } from './monitor-schema.js';

describe('monitoringOf', () => {
  it("gives the schema's own defaults when an environment has no monitoring key", () => {
    expect(monitoringOf({})).toStrictEqual(monitoringSchema.parse({}));
  });

  it('gives the configured settings when there are some', () => {
    const configured = monitoringSchema.parse({ interval: '1m' });
    expect(monitoringOf({ monitoring: configured })).toBe(configured);
  });
});
