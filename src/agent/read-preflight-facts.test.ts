import { describe, expect, it } from 'vitest';
import { parseUname, pathAndAncestors } from '../hosts/host-facts.js';
import { parsePreflightFacts } from './preflight-facts.js';
import { readPreflightFacts } from './read-preflight-facts.js';

describe('readPreflightFacts', () => {
  it("runs the preflight script on the agent's host and returns its output for the control plane to parse", async () => {
    const output = await readPreflightFacts({
      node: process.execPath,
      dfPaths: pathAndAncestors('/var/lib/slipway'),
    });
    const facts = parsePreflightFacts(output);
    expect(parseUname(facts.uname)?.os).toBe('Linux');
    expect(facts.node).toMatchObject({ code: 0, stdout: process.version });
  });
});
