import { describe, expect, it } from 'vitest';
import { SLIPWAY_VERSION } from '../../src/core/version.js';
import { runCli } from '../helpers/project.js';

// The built CLI says its version, with or without a server to talk to (none is asked).

describe('slipway --version', () => {
  it('prints the version and exits 0, locally and in --server mode', async () => {
    for (const args of [['--version'], ['-V'], ['--server', 'http://127.0.0.1:9', '--version']]) {
      const result = await runCli(args);
      expect([result.code, result.stdout, result.stderr]).toEqual([0, `${SLIPWAY_VERSION}\n`, '']);
    }
  });
});
