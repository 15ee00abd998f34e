import type { IncomingMessage } from 'node:http';
import type { RequestInfo } from './split.js';

/**
 * Target selection's view of a request on Node's server (the classic path). Selection is synchronous, so the
 * router keeps one view and points it at each request in turn (the fast path's is RawHeadersView).
 */
export class IncomingRequestView implements RequestInfo {
  req: IncomingMessage | null = null;

  header(name: string): string | undefined {
    const value = this.req?.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }
}
