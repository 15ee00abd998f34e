import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { VerifySuitePlan } from './verify-suite.js';

/** Where the checks send requests, and the CAs they trust there (null: the system's). */
export interface Endpoint {
  baseUrl: string;
  ca: string[] | null;
}

/** The suite's endpoint; a configured CA file is trusted besides the system's roots (for every check). */
export function loadEndpoint(suite: VerifySuitePlan): Endpoint {
  return { baseUrl: suite.baseUrl, ca: loadTrustedCas(suite.security?.tls?.caFile ?? null) };
}

/**
 * The CAs a client trusts with `verify.security.tls.ca` (resolved): the system's roots and that file's
 * certificates; null without a file (the system's, Node's default). The access probe trusts the same.
 */
export function loadTrustedCas(caFile: string | null): string[] | null {
  return caFile ? [...rootCertificates, readFileSync(caFile, 'utf8')] : null;
}
