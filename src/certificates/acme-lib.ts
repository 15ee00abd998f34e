// acme-client (the RFC 8555 client), loaded on first use only: the CLI and the agent start without parsing it and
// its dependencies (axios, @peculiar/x509, node-forge). It is CommonJS: in the esbuild bundle a dynamic import()
// of it yields only `default`, under Node or vitest the named exports too, so both shapes are accepted.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent as HttpsAgent } from 'node:https';
import type * as AcmeClient from 'acme-client';

export type AcmeLib = typeof AcmeClient;

/** An RFC 7807 problem document as an ACME server sends it (RFC 8555 §6.7). */
export interface AcmeProblem {
  type: string;
  detail: string;
  status: number | null;
  /** Per identifier, e.g. which of the names was rejected. */
  subproblems: { type: string; detail: string; identifier: string | null }[];
  /** The server's Retry-After header, as sent (rate limits). */
  retryAfter: string | null;
}

/**
 * What the calls made inside one `withAcmeCall` saw: the last problem document the CA answered with, and the last
 * error of a connection to it (refused, TLS not trusted) since its last answer.
 */
interface CallRecord {
  /** The connections to the CA of this call (its CA bundle). */
  agent: HttpsAgent;
  lastProblem: AcmeProblem | null;
  lastNetworkError: Error | null;
}

const calls = new AsyncLocalStorage<CallRecord>();

/**
 * An HTTPS agent that records its connections' errors in the call that opened them. acme-client loses them: once
 * its retries are spent it fails with a TypeError of its own ("reading 'status'") instead of the socket's error.
 */
class RecordingAgent extends HttpsAgent {
  override createConnection(
    ...args: Parameters<HttpsAgent['createConnection']>
  ): ReturnType<HttpsAgent['createConnection']> {
    const socket = super.createConnection(...args);
    const record = calls.getStore();
    if (record) socket?.once('error', (err: Error) => (record.lastNetworkError = err));
    return socket;
  }
}

const systemTrustAgent = new RecordingAgent({ keepAlive: true });
/** One request's limit: a CA that stops answering fails the attempt instead of holding it forever. */
const REQUEST_TIMEOUT_MS = 30_000;
let loading: Promise<AcmeLib> | null = null;

export function loadAcme(): Promise<AcmeLib> {
  loading ??= import('acme-client').then((mod) => {
    const lib = (mod as AcmeLib & { default?: AcmeLib }).default ?? mod;
    instrument(lib);
    return lib;
  });
  return loading;
}

/** The connections to a CA: trusting `caBundle` (PEM) instead of the system's CAs, when given (a private CA). */
export function acmeConnections(caBundle?: string): HttpsAgent {
  return caBundle ? new RecordingAgent({ ca: caBundle, keepAlive: true }) : systemTrustAgent;
}

/**
 * Runs `fn` with its requests on `agent` (see `acmeConnections`), and on failure hands its error and the last problem document the CA sent during it to `describe`.
 * acme-client turns a problem into a plain Error carrying only the detail text; the type (rateLimited, dns, …)
 * is what says what failed, so it is captured on the way (see `instrument`).
 */
export async function withAcmeCall<T>(
  agent: HttpsAgent,
  fn: () => Promise<T>,
  describe: (err: unknown, problem: AcmeProblem | null) => Error,
): Promise<T> {
  const record: CallRecord = { agent, lastProblem: null, lastNetworkError: null };
  try {
    return await calls.run(record, fn);
  } catch (err) {
    throw describe(record.lastProblem ? err : (record.lastNetworkError ?? err), record.lastProblem);
  }
}

/**
 * Once per process, on acme-client's own axios instance: shorter retries, the call's connections (CA bundle),
 * a timeout per request, problem documents recorded for `withAcmeCall`, and no waiting out a rate limit:
 * acme-client would sleep for the whole Retry-After (hours at Let's Encrypt) five times over; the renewal's
 * back-off retries instead.
 */
function instrument(lib: AcmeLib): void {
  const instance = lib.axios;
  // Its retries of a request that got no answer or a 5xx: after 1 s, then 2 s (its default, 5 to 25 s and 75 s in
  // all, held a deploy waiting for a certificate more than a minute on a CA that is down or not trusted).
  const settings = (
    instance.defaults as { acmeSettings?: { retryMaxAttempts: number; retryDefaultDelay: number } }
  ).acmeSettings;
  if (settings) {
    settings.retryMaxAttempts = 2;
    settings.retryDefaultDelay = 1;
  }
  instance.interceptors.request.use((config) => {
    config.httpsAgent ??= calls.getStore()?.agent ?? systemTrustAgent;
    if (!config.timeout) config.timeout = REQUEST_TIMEOUT_MS;
    return config;
  });
  const defaults = instance.defaults.transformResponse;
  const transforms = Array.isArray(defaults) ? defaults : defaults ? [defaults] : [];
  type Transform = (typeof transforms)[number];
  function recordProblem(this: { retryAttempt?: number }, data: unknown, headers: unknown, status?: number) {
    // A problem answer, or a challenge object that failed (its `error` is the problem the validation met).
    const problem =
      asProblem(data, status, headers) ??
      asProblem((data as { error?: unknown } | null)?.error, undefined, null);
    const record = calls.getStore();
    // A success clears it: a problem that was retried away (a bad nonce) does not explain a later failure.
    if (record) record.lastNetworkError = null;
    if (record && status !== undefined && status < 400) record.lastProblem = null;
    if (problem) {
      if (record) record.lastProblem = problem;
      if (status === 429 || problem.type.endsWith(':rateLimited'))
        this.retryAttempt = Number.MAX_SAFE_INTEGER;
    }
    return data;
  }
  instance.defaults.transformResponse = [...transforms, recordProblem as unknown as Transform];
}

function asProblem(data: unknown, status: number | undefined, headers: unknown): AcmeProblem | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as { type?: unknown; detail?: unknown; subproblems?: unknown };
  if (typeof d.type !== 'string' || !d.type.startsWith('urn:ietf:params:acme:error:')) return null;
  const retryAfter = (headers as { get?: (name: string) => unknown } | undefined)?.get?.('retry-after');
  return {
    type: d.type,
    detail: typeof d.detail === 'string' ? d.detail : '',
    status:
      status ??
      (typeof (data as { status?: unknown }).status === 'number'
        ? (data as { status: number }).status
        : null),
    subproblems: Array.isArray(d.subproblems)
      ? d.subproblems.map((s: { type?: unknown; detail?: unknown; identifier?: { value?: unknown } }) => ({
          type: typeof s.type === 'string' ? s.type : '',
          detail: typeof s.detail === 'string' ? s.detail : '',
          identifier: typeof s.identifier?.value === 'string' ? s.identifier.value : null,
        }))
      : [],
    retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
  };
}
