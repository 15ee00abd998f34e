// Drives bench/router-server.ts over its stdin/stdout JSON lines.
import { tryParse } from './processes.mjs';

export function controlRouter(proc) {
  let nextId = 1;
  const pending = new Map();
  proc.lines.on('line', (line) => {
    const msg = tryParse(line);
    const waiter = msg && pending.get(msg.id);
    if (!waiter) return;
    pending.delete(msg.id);
    if (msg.ok) waiter.resolve(msg.result);
    else waiter.reject(new Error(`router ${waiter.cmd}: ${msg.error}`));
  });
  void proc.exited.then(() => {
    for (const waiter of pending.values()) waiter.reject(new Error(`router exited during ${waiter.cmd}`));
    pending.clear();
  });
  return {
    call(cmd, fields = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, cmd });
        proc.child.stdin.write(`${JSON.stringify({ id, cmd, ...fields })}\n`);
      });
    },
  };
}
