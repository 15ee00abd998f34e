import { execFile } from 'node:child_process';
import { SlipwayError } from '../core/errors.js';
import { buildPreflightScript } from './preflight-facts.js';

const FACTS_TIMEOUT_MS = 10_000;
const FACTS_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Runs the preflight's facts script on this host with a plain `sh` (no login shell, no rc files) and returns
 * what it printed; the control plane parses and judges it exactly as when it runs the script over SSH.
 */
export function readPreflightFacts(params: { node: string; dfPaths: readonly string[] }): Promise<string> {
  const script = buildPreflightScript(params);
  return new Promise((resolve, reject) => {
    execFile(
      'sh',
      ['-c', script],
      { timeout: FACTS_TIMEOUT_MS, maxBuffer: FACTS_MAX_BYTES, encoding: 'utf8' },
      (err, stdout) => {
        // The script exits 0 by itself; anything else (a timeout, a missing sh) is an error worth reporting.
        if (err)
          reject(new SlipwayError(`the preflight facts script failed: ${err.message}`, { cause: err }));
        else resolve(stdout);
      },
    );
  });
}
