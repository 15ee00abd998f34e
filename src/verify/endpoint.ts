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
  const caFile = suite.security?.tls?.caFile ?? null;
  return { baseUrl: suite.baseUrl, ca: caFile ? [...rootCertificates, readFileSync(caFile, 'utf8')] : null };
}
