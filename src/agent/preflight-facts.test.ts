import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  parseDfAvailable,
  parseEpochMs,
  parseMemAvailable,
  parseSsListeners,
  parseUname,
  pathAndAncestors,
} from '../hosts/host-facts.js';
import { FACT_MARKER, buildPreflightScript, parsePreflightFacts } from './preflight-facts.js';

const section = (name: string, body: string): string => `\n${FACT_MARKER}${name}\n${body}`;

describe('preflight facts', () => {
  it('splits the output into its sections', () => {
    const output = [
      section('date-ms', '1764180000123'),
      section('date-s', '1764180000'),
      section('uname', 'Linux x86_64'),
      section('df', 'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 10 5 5 50% /'),
      section('meminfo', 'MemTotal: 100 kB\nMemAvailable: 50 kB'),
      section(
        'ss',
        'State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\nLISTEN 0 511 0.0.0.0:8080 0.0.0.0:*',
      ),
      section('node', 'v20.20.2'),
      section('node-exit', '0'),
      '',
    ].join('');
    const facts = parsePreflightFacts(output);
    expect(facts).toMatchObject({
      dateMs: '1764180000123',
      dateSeconds: '1764180000',
      uname: 'Linux x86_64',
      meminfo: 'MemTotal: 100 kB\nMemAvailable: 50 kB',
      procNetTcp: null,
      node: { code: 0, stdout: 'v20.20.2' },
    });
    expect(parseDfAvailable(facts.df)).toEqual({ availableBytes: 5 * 1024, mountedOn: '/' });
    expect(parseSsListeners(facts.ss ?? '')).toEqual([{ address: '0.0.0.0', port: 8080, processes: [] }]);
  });

  it('reads a missing node, the kernel tables instead of ss, and a truncated output', () => {
    const facts = parsePreflightFacts(
      [
        section('proc-net-tcp', '  sl  local_address rem_address   st\n   0: 00000000:1F90 00000000:0000 0A'),
        section('node', 'sh: 1: /x/bin/node: not found'),
        section('node-exit', '127'),
      ].join(''),
    );
    expect(facts.ss).toBeNull();
    expect(facts.procNetTcp).toContain('00000000:1F90');
    expect(facts.node).toMatchObject({ code: 127, stderr: 'sh: 1: /x/bin/node: not found' });
    // A script cut short (the connection dropped): what is missing reads as unknown, never as a value.
    const cut = parsePreflightFacts(`${FACT_MARKER}date-ms\n17641800`);
    expect(cut).toMatchObject({ uname: '', df: '', ss: null, procNetTcp: null, node: { code: null } });
    expect(parseEpochMs(cut.dateMs)).toBeNull();
  });

  it('the script prints every fact of this machine through a POSIX sh', () => {
    const run = (node: string) =>
      parsePreflightFacts(
        execFileSync(
          'sh',
          ['-c', buildPreflightScript({ node, dfPaths: pathAndAncestors('/var/lib/no such dir') })],
          {
            encoding: 'utf8',
          },
        ),
      );
    const facts = run(process.execPath);
    expect(parseUname(facts.uname)?.os).toBe('Linux');
    expect(Math.abs((parseEpochMs(facts.dateMs) ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(parseDfAvailable(facts.df)?.availableBytes).toBeGreaterThan(0);
    expect(parseMemAvailable(facts.meminfo)).toBeGreaterThan(0);
    expect(facts.ss ?? facts.procNetTcp).toMatch(/\S/);
    expect(facts.node).toMatchObject({ code: 0, stdout: process.version });
    const missing = run("/nonexistent/it's not/node");
    expect(missing.node.code).toBe(127);
    expect(missing.uname).toBe(facts.uname);
  });
});
