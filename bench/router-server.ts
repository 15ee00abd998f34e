/**
 * The Router alone in a process, for the benchmark: prints `{"ready":true,"port":…}` on stdout, then takes one
 * JSON command per line on stdin and answers one JSON line per command on stdout:
 *   {"id":1,"cmd":"add","target":{"id":"blue-1","release":"blue","port":4001}}
 *   {"id":2,"cmd":"activate","target":"blue-1"}        → result: previous active id
 *   {"id":3,"cmd":"drain","target":"blue-1","timeoutMs":5000} → result: { drained, abandoned }
 *   {"id":4,"cmd":"metrics"}
 * It closes the router and exits when stdin ends. Bundled to dist/bench/router-server.js by scripts/build.mjs.
 */
import { createInterface } from 'node:readline';
import { Router } from '../src/router/router.js';

type Command =
  | { id: number; cmd: 'add'; target: { id: string; release: string; port: number } }
  | { id: number; cmd: 'activate'; target: string }
  | { id: number; cmd: 'drain'; target: string; timeoutMs: number }
  | { id: number; cmd: 'metrics' };

const router = await Router.listen({ port: Number(process.env.ROUTER_PORT ?? 0), host: '127.0.0.1' });
send({ ready: true, port: router.port, pid: process.pid });

function send(line: unknown): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function execute(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'add':
      router.addTarget(command.target);
      return null;
    case 'activate':
      return router.setActive(command.target);
    case 'drain':
      return router.drain(command.target, command.timeoutMs);
    case 'metrics':
      return router.metrics();
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() === '') continue;
  const command = JSON.parse(line) as Command;
  try {
    send({ id: command.id, ok: true, result: await execute(command) });
  } catch (err) {
    send({ id: command.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}
await router.close();
