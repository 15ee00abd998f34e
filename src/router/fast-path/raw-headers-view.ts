import type { RequestInfo } from '../split.js';

/**
 * Target selection's view of a fast-path request: header lookups over the flat raw list. Selection is
 * synchronous, so the router keeps one view and points it at each request in turn.
 */
export class RawHeadersView implements RequestInfo {
  raw: readonly string[] | null = null;

  header(name: string): string | undefined {
    const raw = this.raw;
    if (raw === null) return undefined;
    let value: string | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const candidate = raw[i] as string;
      if (candidate.length !== name.length || candidate.toLowerCase() !== name) continue;
      // Joined as Node joins them in `req.headers`: cookies with '; ', anything else with ', '.
      value = value === undefined ? raw[i + 1] : `${value}${name === 'cookie' ? '; ' : ', '}${raw[i + 1]}`;
    }
    return value;
  }
}
