// The scheduler with a fake clock and fake timers, and an issuer that hands out made-up certificates (or fails).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AcmeError } from './acme-error.js';
import type { IssuedCertificate } from './acme-issuer.js';
import { readCertificate } from './certificate-files.js';
import {
  createCertificateManager,
  type CertificateFailure,
  type CertificateManager,
  type Timers,
} from './certificate-manager.js';

const D = 24 * 3600_000;
const LIFETIME = 90 * D;

class FakeTimers implements Timers {
  nowMs = 1000 * D;
  #next = 1;
  readonly pending = new Map<number, { atMs: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): number {
    const id = this.#next++;
    this.pending.set(id, { atMs: this.nowMs + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** When the next timer fires, or null. */
  nextAt(): number | null {
    const times = [...this.pending.values()].map((t) => t.atMs);
    return times.length ? Math.min(...times) : null;
  }
  /**
   * Moves the clock to the next timer, fires it and waits for the look it starts to end: every look ends by
   * setting the timer for the next one.
   */
  async fireNext(): Promise<void> {
    const [id, timer] = [...this.pending.entries()].sort((a, b) => a[1].atMs - b[1].atMs)[0]!;
    this.pending.delete(id);
    this.nowMs = Math.max(this.nowMs, timer.atMs);
    const before = this.#next;
    timer.fn();
    const deadline = Date.now() + 5000;
    while (this.#next === before) {
      if (Date.now() > deadline) throw new Error('the look set no timer for the next one');
      await new Promise((r) => setTimeout(r, 1));
    }
  }
}

let dir: string;
let timers: FakeTimers;
let calls: string[][];
let failNext: number;
let failures: CertificateFailure[];
let issued: string[];
let manager: CertificateManager;

const issuer = {
  obtain(names: readonly string[]): Promise<IssuedCertificate> {
    calls.push([...names]);
    if (failNext > 0) {
      failNext--;
      return Promise.reject(
        new AcmeError('challenge', names, null, `the http-01 challenge for ${names[0]} failed: no answer`),
      );
    }
    const n = calls.length;
    return Promise.resolve({
      names: [...names],
      certificate: `CERT ${n}`,
      key: `KEY ${n}`,
      issuer: 'CN=Fake CA',
      serial: `serial-${n}`,
      notBefore: new Date(timers.nowMs).toISOString(),
      notAfter: new Date(timers.nowMs + LIFETIME).toISOString(),
      directoryUrl: 'https://ca.test/dir',
    });
  },
  revoked: [] as string[],
  revoke(pem: string): Promise<void> {
    this.revoked.push(pem);
    return Promise.resolve();
  },
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sw-certs-'));
  timers = new FakeTimers();
  calls = [];
  failNext = 0;
  failures = [];
  issued = [];
  issuer.revoked = [];
  manager = createCertificateManager({
    dir,
    issuer,
    timers,
    clock: { nowMs: () => timers.nowMs },
    onIssued: (c, reason) => issued.push(`${c.serial}:${reason}`),
    onFailure: (f) => failures.push(f),
  });
});

afterEach(() => {
  manager.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the renewal scheduler', () => {
  it('obtains a missing certificate, then renews it at two thirds of its lifetime', async () => {
    manager.watch([{ id: 'shop', names: ['shop.test', 'www.shop.test'] }]);
    expect(timers.nextAt()).toBe(timers.nowMs); // at once
    const start = timers.nowMs;
    await timers.fireNext();
    expect(issued).toEqual(['serial-1:missing']);
    expect((await readCertificate(dir, 'shop'))?.certificate).toBe('CERT 1');
    // The next look is at two thirds… in steps of at most an hour.
    expect(timers.nextAt()).toBe(start + 3600_000);
    timers.nowMs = start + 60 * D - 2 * 3600_000; // skip most of the hourly looks
    while (issued.length === 1) await timers.fireNext();
    expect(issued).toEqual(['serial-1:missing', 'serial-2:due']);
    expect(timers.nowMs).toBe(start + 60 * D);
    expect(calls).toHaveLength(2);
  });

  it('keeps the old certificate through failures, reports each, and backs off 1, 2, 4 minutes', async () => {
    manager.watch([{ id: 'shop', names: ['shop.test'] }]);
    await timers.fireNext();
    const first = readFileSync(join(dir, 'shop.json'), 'utf8');
    const dueAt = timers.nowMs + 60 * D;
    timers.nowMs = dueAt;
    failNext = 3;
    // The timer for the hourly look fires; the renewal is due and fails.
    await timers.fireNext();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      id: 'shop',
      names: ['shop.test'],
      reason: 'due',
      failures: 1,
      retryAtMs: timers.nowMs + 60_000,
      current: { serial: 'serial-1' },
    });
    expect(failures[0]!.error.message).toMatch(/challenge for shop.test failed/);
    expect(readFileSync(join(dir, 'shop.json'), 'utf8')).toBe(first);
    expect(timers.nextAt()).toBe(timers.nowMs + 60_000);
    const t1 = timers.nowMs;
    await timers.fireNext();
    expect(failures.map((f) => f.failures)).toEqual([1, 2]);
    expect(timers.nowMs - t1).toBe(60_000);
    const t2 = timers.nowMs;
    await timers.fireNext();
    expect(timers.nowMs - t2).toBe(120_000);
    expect(failures.map((f) => f.failures)).toEqual([1, 2, 3]);
    const t3 = timers.nowMs;
    await timers.fireNext();
    expect(timers.nowMs - t3).toBe(240_000);
    expect(issued).toEqual(['serial-1:missing', 'serial-5:due']);
    expect(calls).toHaveLength(5);
    // A success resets the back-off: the next look is an hour away (renewal 60 days away).
    expect(timers.nextAt()).toBe(timers.nowMs + 3600_000);
  });

  it('obtains at once when the names change, without waiting for an earlier back-off', async () => {
    failNext = 1;
    manager.watch([{ id: 'shop', names: ['shop.test'] }]);
    await timers.fireNext();
    expect(failures).toHaveLength(1);
    manager.watch([{ id: 'shop', names: ['shop.test', 'www.shop.test'] }]);
    expect(timers.nextAt()).toBe(timers.nowMs);
    await timers.fireNext();
    expect(issued).toEqual(['serial-2:missing']);
    expect(calls.at(-1)).toEqual(['shop.test', 'www.shop.test']);
    // Watching no longer: no timers left.
    manager.watch([]);
    expect(timers.nextAt()).toBeNull();
  });

  it('ensure: stored while good, obtained when needed, the old one while backing off', async () => {
    const a = await manager.ensure('shop', ['shop.test']);
    expect(a.serial).toBe('serial-1');
    expect((await manager.ensure('shop', ['shop.test'])).serial).toBe('serial-1');
    timers.nowMs += 61 * D;
    failNext = 1;
    await expect(manager.ensure('shop', ['shop.test'])).rejects.toThrow(/challenge for shop.test failed/);
    // Backing off: the stored one, still valid, rather than the CA again.
    expect((await manager.ensure('shop', ['shop.test'])).serial).toBe('serial-1');
    expect(calls).toHaveLength(2);
    expect(await manager.decide('shop', ['shop.test'])).toMatchObject({ kind: 'back-off', reason: 'due' });
    timers.nowMs += 60_000;
    expect((await manager.ensure('shop', ['shop.test'])).serial).toBe('serial-3');
  });

  it('ensure with nothing stored and the CA failing: throws, then says when it tries again', async () => {
    failNext = 1;
    await expect(manager.ensure('shop', ['shop.test'])).rejects.toBeInstanceOf(AcmeError);
    await expect(manager.ensure('shop', ['shop.test'])).rejects.toThrow(
      /no certificate for shop.test yet: the last attempt failed \(the http-01 challenge .*\); the next one is at /,
    );
    expect(calls).toHaveLength(1);
  });

  it('renew now: obtains a new one although the stored one is good, one order at a time with the timer', async () => {
    manager.watch([{ id: 'shop', names: ['shop.test'] }]);
    await timers.fireNext(); // the first look obtains serial-1
    // Asked twice at once: the second waits for the first (never two orders in flight for one certificate).
    let inFlight = 0;
    let most = 0;
    const obtain = issuer.obtain.bind(issuer);
    const spied = vi.spyOn(issuer, 'obtain').mockImplementation(async (names) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return obtain(names);
    });
    const [a, b] = await Promise.all([
      manager.renewNow('shop', ['shop.test']),
      manager.renewNow('shop', ['shop.test']),
    ]);
    spied.mockRestore();
    expect([a.serial, b.serial]).toEqual(['serial-2', 'serial-3']);
    expect(most).toBe(1);
    expect(issued).toEqual(['serial-1:missing', 'serial-2:requested', 'serial-3:requested']);
    expect((await manager.get('shop'))?.serial).toBe('serial-3');
  });

  it('renew now that fails: reported, the stored one kept', async () => {
    await manager.ensure('shop', ['shop.test']);
    failNext = 1;
    await expect(manager.renewNow('shop', ['shop.test'])).rejects.toThrow(/failed/);
    expect(failures[0]).toMatchObject({ reason: 'requested', current: { serial: 'serial-1' } });
    expect((await manager.get('shop'))?.serial).toBe('serial-1');
  });

  it('revoke and replace: revokes the stored one, then obtains another', async () => {
    await manager.ensure('shop', ['shop.test']);
    const replaced = await manager.revokeAndReplace('shop');
    expect(issuer.revoked).toEqual(['CERT 1']);
    expect(replaced.serial).toBe('serial-2');
    expect(issued).toEqual(['serial-1:missing', 'serial-2:revoked']);
  });

  it('revoke and replace whose replacement fails: the revoked one stays, marked, and renewal replaces it first', async () => {
    await manager.ensure('shop', ['shop.test']);
    failNext = 1;
    await expect(manager.revokeAndReplace('shop')).rejects.toThrow(/failed/);
    const stored = await readCertificate(dir, 'shop');
    expect(stored).toMatchObject({ serial: 'serial-1', revoked: true });
    expect(failures[0]).toMatchObject({ reason: 'revoked', current: { revoked: true } });
    manager.watch([{ id: 'shop', names: ['shop.test'] }]);
    await timers.fireNext(); // backing off: 1 minute
    expect(issued).toEqual(['serial-1:missing']);
    await timers.fireNext();
    expect(issued).toEqual(['serial-1:missing', 'serial-3:revoked']);
  });

  it('stop: no timer left, nothing scheduled after', () => {
    manager.watch([
      { id: 'a', names: ['a.test'] },
      { id: 'b', names: ['b.test'] },
    ]);
    expect(timers.pending.size).toBe(2);
    manager.stop();
    expect(timers.pending.size).toBe(0);
  });
});
