import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  judgeAgent,
  judgeSupervisor,
  judgeClock,
  judgeDisk,
  judgeMemory,
  judgeOs,
  judgePort,
  judgeRuntime,
} from './check-host.js';

const GiB = 1024 ** 3;
const DF = [
  'Filesystem     1024-blocks     Used Available Capacity Mounted on',
  '/dev/vda         264212084 23381916  83008996      22% /',
].join('\n');
const hint = 'run: slipway setup production';

describe('preflight judgements', () => {
  it('os: Linux on the control plane architecture only', () => {
    expect(judgeOs('Linux x86_64\n', 'x64')).toEqual({ check: 'os', status: 'ok', detail: 'Linux x86_64' });
    const foreign = judgeOs('Linux aarch64\n', 'x64');
    expect(foreign.status).toBe('fail');
    expect(foreign.hint).toContain('aarch64');
    expect(judgeOs('Darwin arm64\n', 'arm64').status).toBe('fail');
    expect(judgeOs('', 'x64').status).toBe('fail');
  });

  it('disk: fails below the required space', () => {
    expect(judgeDisk(DF, '/var/lib/slipway', GiB)).toEqual({
      check: 'disk',
      status: 'ok',
      detail: '79.2 GiB free on / (for /var/lib/slipway; needs 1.0 GiB)',
    });
    expect(judgeDisk(DF, '/var/lib/slipway', 100 * GiB).status).toBe('fail');
    expect(judgeDisk('df: /x: No such file or directory\n', '/x', GiB).status).toBe('fail');
  });

  it('memory: warns below the minimum', () => {
    expect(judgeMemory('MemAvailable: 2097152 kB\n', GiB)).toEqual({
      check: 'memory',
      status: 'ok',
      detail: '2.0 GiB available (wants 1.0 GiB)',
    });
    expect(judgeMemory('MemAvailable: 1024 kB\n', GiB).status).toBe('warn');
  });

  it('port: free, held by our agent, or taken by someone else', () => {
    const agent = { pid: 42, routes: [] };
    expect(judgePort(8080, [], agent)).toMatchObject({ status: 'ok', detail: '8080 is free' });
    const ours = [{ address: '0.0.0.0', port: 8080, processes: [{ name: 'node', pid: 42 }] }];
    expect(judgePort(8080, ours, agent)).toMatchObject({
      status: 'ok',
      detail: '8080 is held by the slipway agent (pid 42)',
    });
    expect(judgePort(8080, null, { pid: 42, routes: [{ app: 'hello', publicPort: 8080 }] })).toMatchObject({
      status: 'ok',
      detail: '8080 is held by the slipway agent (router of hello)',
    });
    const theirs = [{ address: '*', port: 8080, processes: [{ name: 'nginx', pid: 7 }] }];
    expect(judgePort(8080, theirs, agent)).toMatchObject({
      status: 'fail',
      detail: '8080 is in use by nginx (pid 7)',
    });
    expect(judgePort(8080, [{ address: '0100007F', port: 8080, processes: [] }], null)).toMatchObject({
      status: 'fail',
      detail: '8080 is in use by another process',
    });
    expect(judgePort(8080, null, null).status).toBe('warn');
  });

  it('runtime: missing before setup, broken when it does not run', () => {
    const run = (code: number | null, stdout = '', stderr = '') => ({ code, signal: null, stdout, stderr });
    expect(judgeRuntime(run(0, 'v20.20.2\n'), '/x/bin/node', hint)).toEqual({
      check: 'runtime',
      status: 'ok',
      detail: 'node v20.20.2',
    });
    expect(judgeRuntime(run(127, '', 'sh: 1: /x/bin/node: not found'), '/x/bin/node', hint)).toEqual({
      check: 'runtime',
      status: 'warn',
      detail: 'not installed yet (/x/bin/node)',
      hint,
    });
    expect(judgeRuntime(run(1, '', 'GLIBC_2.28 not found'), '/x/bin/node', hint)).toMatchObject({
      status: 'fail',
      detail: '/x/bin/node does not run: GLIBC_2.28 not found',
    });
  });

  it('clock: against the midpoint of the control plane readings', () => {
    expect(judgeClock(10_000, 9_900, 10_100)).toMatchObject({
      status: 'ok',
      detail: '0 ms ahead of the control plane (±100 ms)',
    });
    expect(judgeClock(12_000, 9_900, 10_100)).toMatchObject({
      status: 'warn',
      detail: '2000 ms ahead of the control plane (±100 ms)',
    });
    expect(judgeClock(10_000 - 31_000, 9_900, 10_100)).toMatchObject({
      status: 'fail',
      detail: '31000 ms behind the control plane (±100 ms)',
    });
    expect(judgeClock(null, 0, 1).status).toBe('warn');
  });

  it('agent: running, stale, stopped or not installed', () => {
    expect(judgeAgent(true, { agentVersion: '0.1.0', pid: 9 }, '0.1.0', hint)).toEqual({
      check: 'agent',
      status: 'ok',
      detail: '0.1.0 running (pid 9)',
    });
    expect(judgeAgent(true, { agentVersion: '0.0.9', pid: 9 }, '0.1.0', hint)).toMatchObject({
      status: 'warn',
      detail: '0.0.9 running (pid 9); this Slipway ships 0.1.0',
    });
    expect(judgeAgent(true, null, '0.1.0', hint)).toMatchObject({
      status: 'warn',
      detail: 'installed but not running',
    });
    expect(judgeAgent(false, null, '0.1.0', hint)).toMatchObject({
      status: 'warn',
      detail: 'not installed yet',
    });
    expect(judgeAgent(true, new Error('boom'), '0.1.0', hint).status).toBe('fail');
  });

  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * GiB)).toBe('5.0 GiB');
  });

  it('says who restarts the agent and the router process, and warns when nothing does', () => {
    expect(judgeSupervisor({ pid: 9, supervisor: 'the keeper', routerPid: 10 }, hint)).toEqual({
      check: 'supervisor',
      status: 'ok',
      detail: 'the agent (pid 9) and the router process (pid 10) are restarted by the keeper',
    });
    expect(judgeSupervisor({ pid: 9, supervisor: null, routerPid: null }, hint)).toMatchObject({
      status: 'warn',
      detail: 'nothing restarts the agent (pid 9) if it dies; it serves the routes itself',
    });
    expect(judgeSupervisor(null, hint).status).toBe('warn');
  });
});
