import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { BRIDGE_EXIT } from '../agent/bridge.js';
import { isProcessAlive, sleep } from '../agent/process-util.js';

// The bridge is what an SSH exec runs on a host (`agent.js bridge`); here it runs locally, without SSH.
const AGENT_BUNDLE = resolve(import.meta.dirname, '..', '..', 'dist', 'agent.js');
const dir = mkdtempSync('/tmp/sw-br-');
const home = join(dir, 'agent');
const agentPids = new Set<number>();

afterAll(async () => {
  // The keeper would start a killed agent again: stop everything the bridge started (keeper, router process,
  // agent) the way `slipway agent stop` does, then make sure each is gone.
  const pids = [...agentPids, ...['keeper.pid', 'router.pid'].map((f) => readPid(join(home, f)))].filter(
    (pid) => pid > 0,
  );
  await bridge([{ id: 1, method: 'shutdown', params: { stopTargets: true } }], ['--no-start']);
  for (const pid of pids) {
    for (let i = 0; i < 100 && isProcessAlive(pid); i++) await sleep(50);
    if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

function readPid(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/** Runs a bridge, sends request lines, and returns the answers and the exit code once stdin is closed. */
function bridge(
  requests: object[],
  args: string[] = [],
): Promise<{ code: number | null; answers: unknown[]; stderr: string }> {
  const child = spawn(process.execPath, [AGENT_BUNDLE, 'bridge', '--home', home, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const answers: unknown[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    answers.push(JSON.parse(line));
    if (answers.length === requests.length) child.stdin.end();
  });
  for (const request of requests) child.stdin.write(`${JSON.stringify(request)}\n`);
  return new Promise((done) => child.once('close', (code) => done({ code, answers, stderr })));
}

const ping = { id: 1, method: 'ping', params: {} };

describe('agent bridge', () => {
  it('with --no-start, says that no agent runs and exits with its own code', async () => {
    const result = await bridge([ping], ['--no-start']);
    expect(result.code).toBe(BRIDGE_EXIT.notRunning);
    expect(result.stderr).toBe(`no slipway agent is running in ${home}\n`);
  });

  it('starts one agent for bridges that arrive together, and ends when stdin closes', async () => {
    const results = await Promise.all([bridge([ping]), bridge([ping]), bridge([ping])]);
    const pids = results.map((r) => (r.answers[0] as { result: { pid: number } }).result.pid);
    for (const pid of pids) agentPids.add(pid);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(new Set(pids).size).toBe(1);
    // Only one agent was spawned: a second one would have logged that the socket is taken.
    expect(readFileSync(join(home, 'agent.log'), 'utf8')).not.toContain('another agent already listens');
    // The agent outlives the bridges that started it.
    expect(isProcessAlive(pids[0] ?? 0)).toBe(true);
    const again = await bridge([ping], ['--no-start']);
    expect(again.answers).toEqual(results[0]?.answers);
  });
});
