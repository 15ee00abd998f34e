import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { Socket } from 'node:net';
import { commandEnv, requireBinary } from './command.js';
import { LOCK_DIR, SLOT_COUNT, deriveSlotNames } from './names.js';

// A slot is owned by whoever holds flock(2) on its lock file. The lock lives in a helper process
// (`flock … cat`) that exits when our stdin pipe closes, so the kernel frees the slot even when the
// test process is SIGKILLed: a held lock means a live testbed, a free one with leftovers means a crash.

export interface SlotLock {
  slot: number;
  release(): Promise<void>;
}

// Fixed string: the lock holder reports success, then waits for EOF on stdin.
const HOLD_SCRIPT = 'echo locked; exec cat >/dev/null';

export function tryLockSlot(slot: number, waitSeconds = 0): Promise<SlotLock | undefined> {
  const { lockPath } = deriveSlotNames(slot);
  mkdirSync(LOCK_DIR, { recursive: true });
  const wait = waitSeconds > 0 ? ['-w', String(waitSeconds)] : ['-n'];
  const child = spawn(
    requireBinary('flock'),
    [...wait, '-x', lockPath, requireBinary('sh'), '-c', HOLD_SCRIPT],
    {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: commandEnv,
    },
  );
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => resolve(undefined));
    child.stdout.once('data', () => {
      child.stdout.destroy();
      // Holding a slot must not keep the process alive; the pipe closing at exit frees the slot.
      child.unref();
      if (child.stdin instanceof Socket) child.stdin.unref();
      resolve({
        slot,
        release: async () => {
          child.ref(); // keep the process alive until the lock is really gone
          child.stdin.end();
          await exited;
        },
      });
    });
  });
}

/** Takes the first free slot, starting at `start` so parallel test files rarely collide. */
export async function claimFreeSlot(start: number): Promise<SlotLock> {
  for (let i = 0; i < SLOT_COUNT; i++) {
    const lock = await tryLockSlot((start + i) % SLOT_COUNT);
    if (lock) return lock;
  }
  throw new Error(`testbed: all ${SLOT_COUNT} slots are in use (locks in ${LOCK_DIR})`);
}
