// The certificates of one host: kept in a directory, obtained when missing, renewed by the decision in renewal.ts
// on a timer, revoked and replaced on demand. A failure never touches the certificate in place: it is reported
// (onFailure: the agent alerts and ledgers it) and tried again after the back-off.
import { systemClock, type Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import type { AcmeIssuer, IssuedCertificate, RevocationReason } from './acme-issuer.js';
import {
  readCertificate,
  writeCertificate,
  type CertificateMeta,
  type StoredCertificate,
} from './certificate-files.js';
import {
  decideRenewal,
  DEFAULT_RENEWAL_POLICY,
  sameNames,
  type RenewalDecision,
  type RenewalInput,
  type RenewalPolicy,
  type ObtainReason,
} from './renewal.js';

/** Timers as a port: unit tests drive the scheduler with fake ones. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers, unreferenced: a pending renewal keeps no process alive. */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface CertificateFailure {
  id: string;
  names: string[];
  /** Why a certificate was being obtained, or 'revoke' when revoking it failed. */
  reason: ObtainReason | 'revoke';
  error: Error;
  /** Failures in a row, this one included. */
  failures: number;
  /** When it is tried again (by the scheduler, if watched). */
  retryAtMs: number;
  /** The certificate still in place (and served), or null. */
  current: CertificateMeta | null;
}

export interface CertificateManagerOptions {
  /** Where the certificates are kept: `<dir>/<id>.json`, 0600. */
  dir: string;
  issuer: Pick<AcmeIssuer, 'obtain' | 'revoke'>;
  clock?: Clock;
  timers?: Timers;
  policy?: RenewalPolicy;
  /** The longest wait between two looks at a watched certificate (default 1 h): a changed clock is noticed. */
  maxCheckIntervalMs?: number;
  /** A new certificate is in place: the router loads it. */
  onIssued?(cert: StoredCertificate, reason: ObtainReason): void;
  /** An attempt failed; the old certificate (if any) stays. */
  onFailure?(failure: CertificateFailure): void;
}

export interface CertificateManager {
  /**
   * The certificate `id` for `names`: the stored one while it is good, else one obtained now. While backing off
   * after failures it returns the stored one if there is one (even due for renewal), else throws the last error.
   */
  ensure(id: string, names: readonly string[]): Promise<StoredCertificate>;
  /** Keeps these certificates obtained and renewed from now on (the list replaces the previous one). */
  watch(certificates: readonly { id: string; names: readonly string[] }[]): void;
  /**
   * Obtains a new certificate now, whatever the decision says (an operator's request), in turn with the timer's
   * attempts on the same certificate; the timer then plans the next renewal from the new one.
   */
  renewNow(id: string, names: readonly string[]): Promise<StoredCertificate>;
  /** Revokes the stored certificate at the CA and obtains a new one in its place. */
  revokeAndReplace(id: string, reason?: RevocationReason): Promise<StoredCertificate>;
  /** The stored certificate, or null. */
  get(id: string): Promise<StoredCertificate | null>;
  /** The decision for a stored certificate now, e.g. for `slipway status`. */
  decide(id: string, names: readonly string[]): Promise<RenewalDecision>;
  /** Stops the timers; an attempt in flight finishes but schedules nothing. */
  stop(): void;
}

interface Entry {
  names: string[];
  failures: { count: number; lastAtMs: number } | null;
  lastError: Error | null;
  watched: boolean;
  timer: unknown;
  /** Attempts on one certificate run one at a time. */
  queue: Promise<unknown>;
}

export function createCertificateManager(options: CertificateManagerOptions): CertificateManager {
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const policy = options.policy ?? DEFAULT_RENEWAL_POLICY;
  const maxCheckMs = options.maxCheckIntervalMs ?? 3600_000;
  const entries = new Map<string, Entry>();
  let stopped = false;

  function entry(id: string, names: readonly string[]): Entry {
    let e = entries.get(id);
    if (!e) {
      e = {
        names: [...names],
        failures: null,
        lastError: null,
        watched: false,
        timer: null,
        queue: Promise.resolve(),
      };
      entries.set(id, e);
    } else if (!sameNames(e.names, names)) {
      // Other names: a new certificate, whose first attempt waits for no earlier failure.
      e.names = [...names];
      e.failures = null;
      e.lastError = null;
    }
    return e;
  }

  function serial<T>(e: Entry, fn: () => Promise<T>): Promise<T> {
    const run = e.queue.then(fn, fn);
    e.queue = run.catch(() => undefined);
    return run;
  }

  function decisionFor(e: Entry, current: StoredCertificate | null): RenewalDecision {
    return decideRenewal({
      ...inputOf(current),
      nowMs: clock.nowMs(),
      names: e.names,
      failures: e.failures,
      policy,
    });
  }

  /** Obtains and stores a certificate for `e`; on failure records it, reports it and rethrows. */
  async function obtain(
    id: string,
    e: Entry,
    reason: ObtainReason,
    current: StoredCertificate | null,
  ): Promise<StoredCertificate> {
    let issued: IssuedCertificate;
    try {
      issued = await options.issuer.obtain(e.names);
    } catch (err) {
      throw fail(id, e, reason, err, current);
    }
    const stored: StoredCertificate = {
      id,
      names: issued.names,
      issuer: issued.issuer,
      serial: issued.serial,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      obtainedAt: new Date(clock.nowMs()).toISOString(),
      directoryUrl: issued.directoryUrl,
      revoked: false,
      certificate: issued.certificate,
      key: issued.key,
    };
    try {
      await writeCertificate(options.dir, stored);
    } catch (err) {
      throw fail(id, e, reason, err, current);
    }
    e.failures = null;
    e.lastError = null;
    options.onIssued?.(stored, reason);
    return stored;
  }

  function fail(
    id: string,
    e: Entry,
    reason: CertificateFailure['reason'],
    err: unknown,
    current: StoredCertificate | null,
  ): Error {
    const error = err instanceof Error ? err : new Error(String(err));
    const nowMs = clock.nowMs();
    e.failures = { count: (e.failures?.count ?? 0) + 1, lastAtMs: nowMs };
    e.lastError = error;
    const retry = decisionFor(e, current);
    options.onFailure?.({
      id,
      names: [...e.names],
      reason,
      error,
      failures: e.failures.count,
      retryAtMs: retry.kind === 'back-off' ? retry.retryAtMs : nowMs,
      current: current && metaOf(current),
    });
    return error;
  }

  /** One look at a watched certificate: obtain it if the decision says so, then set the timer for the next look. */
  async function tick(id: string, e: Entry): Promise<void> {
    e.timer = null;
    await serial(e, async () => {
      if (stopped || !e.watched) return;
      let current: StoredCertificate | null = null;
      try {
        current = await readCertificate(options.dir, id);
        const decision = decisionFor(e, current);
        if (decision.kind === 'obtain') current = await obtain(id, e, decision.reason, current);
      } catch (err) {
        // Reported by obtain(); a file that cannot be read is reported here.
        if (e.lastError !== err) fail(id, e, 'missing', err, null);
      }
      if (stopped || !e.watched) return;
      const next = decisionFor(e, current);
      const atMs =
        next.kind === 'keep' ? next.renewAtMs : next.kind === 'back-off' ? next.retryAtMs : clock.nowMs();
      schedule(id, e, atMs - clock.nowMs());
    });
  }

  function schedule(id: string, e: Entry, delayMs: number): void {
    if (e.timer !== null) timers.clearTimeout(e.timer);
    const ms = Math.max(0, Math.min(Math.ceil(delayMs), maxCheckMs));
    e.timer = timers.setTimeout(() => void tick(id, e), ms);
  }

  return {
    ensure(id, names) {
      const e = entry(id, names);
      return serial(e, async () => {
        const current = await readCertificate(options.dir, id);
        const decision = decisionFor(e, current);
        if (decision.kind === 'keep') return current!;
        if (decision.kind === 'obtain') return obtain(id, e, decision.reason, current);
        const usable = current && !current.revoked && Date.parse(current.notAfter) > clock.nowMs();
        if (usable && sameNames(current.names, e.names)) return current;
        throw new SlipwayError(
          `no certificate for ${e.names.join(', ')} yet: the last attempt failed (${e.lastError?.message ?? 'unknown error'}); the next one is at ${new Date(decision.retryAtMs).toISOString()}`,
          { cause: e.lastError, hint: (e.lastError as SlipwayError | null)?.hint },
        );
      });
    },

    watch(certificates) {
      const wanted = new Map(certificates.map((c) => [c.id, c.names]));
      for (const [id, e] of entries) {
        if (!wanted.has(id) && e.watched) {
          e.watched = false;
          if (e.timer !== null) timers.clearTimeout(e.timer);
          e.timer = null;
        }
      }
      for (const [id, names] of wanted) {
        const before = entries.get(id);
        const changed = !before || !before.watched || !sameNames(before.names, names);
        const e = entry(id, names);
        e.watched = true;
        if (changed && !stopped) schedule(id, e, 0);
      }
    },

    renewNow(id, names) {
      const e = entry(id, names);
      return serial(e, async () => obtain(id, e, 'requested', await readCertificate(options.dir, id)));
    },

    revokeAndReplace(id, reason = 'superseded') {
      const known = entries.get(id);
      return serial(known ?? entry(id, []), async () => {
        const current = await readCertificate(options.dir, id);
        if (!current) throw new SlipwayError(`no certificate "${id}" to revoke`);
        const e = entry(id, known ? known.names : current.names);
        try {
          await options.issuer.revoke(current.certificate, reason);
        } catch (err) {
          throw fail(id, e, 'revoke', err, current);
        }
        // Marked before the replacement is asked for: if that fails, renewal knows this one must go first.
        const revoked = { ...current, revoked: true };
        await writeCertificate(options.dir, revoked);
        e.failures = null;
        return obtain(id, e, 'revoked', revoked);
      });
    },

    get: (id) => readCertificate(options.dir, id),

    async decide(id, names) {
      const known = entries.get(id);
      const failures = known && sameNames(known.names, names) ? known.failures : null;
      return decideRenewal({
        ...inputOf(await readCertificate(options.dir, id)),
        nowMs: clock.nowMs(),
        names,
        failures,
        policy,
      });
    },

    stop() {
      stopped = true;
      for (const e of entries.values()) {
        if (e.timer !== null) timers.clearTimeout(e.timer);
        e.timer = null;
      }
    },
  };
}

function inputOf(current: StoredCertificate | null): Pick<RenewalInput, 'current'> {
  return {
    current: current && {
      names: current.names,
      notBeforeMs: Date.parse(current.notBefore),
      notAfterMs: Date.parse(current.notAfter),
      revoked: current.revoked,
    },
  };
}

function metaOf(cert: StoredCertificate): CertificateMeta {
  const { certificate: _certificate, key: _key, ...meta } = cert;
  return meta;
}
