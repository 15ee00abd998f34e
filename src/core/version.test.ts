import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGENT_VERSION } from '../agent/version.js';
import { SLIPWAY_VERSION } from './version.js';

describe('SLIPWAY_VERSION', () => {
  it("is package.json's version, and the agent's", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(SLIPWAY_VERSION).toBe(pkg.version);
    expect(AGENT_VERSION).toBe(SLIPWAY_VERSION);
  });
});
