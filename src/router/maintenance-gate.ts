import type { IncomingMessage } from 'node:http';
import { RawHeadersView } from './fast-path/raw-headers-view.js';
import type { RequestHead } from './fast-path/request-head.js';
import { IncomingRequestView } from './incoming-request-view.js';
import {
  answerInMaintenance,
  planMaintenance,
  type MaintenanceAnswer,
  type MaintenancePlan,
  type MaintenanceSpec,
} from './maintenance.js';

/** An upgrade (WebSocket) in maintenance: refused, the socket closed. */
export const MAINTENANCE_UPGRADE =
  'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncache-control: no-store\r\ncontent-length: 0\r\n\r\n';

/** A router's maintenance mode: asked first for every request, on both paths (null: the request goes on). */
export class MaintenanceGate {
  #plan: MaintenancePlan | null = null;
  readonly #raw = new RawHeadersView();
  readonly #incoming = new IncomingRequestView();

  get spec(): MaintenanceSpec | null {
    return this.#plan?.spec ?? null;
  }

  set(spec: MaintenanceSpec | null): void {
    this.#plan = spec === null ? null : planMaintenance(spec);
  }

  /** The fast path's request head. */
  fast(head: RequestHead): MaintenanceAnswer | null {
    if (this.#plan === null) return null;
    this.#raw.raw = head.rawHeaders;
    const answer = answerInMaintenance(this.#plan, head.target, this.#raw);
    this.#raw.raw = null;
    return answer;
  }

  /** A request (or upgrade) on Node's server. */
  classic(req: IncomingMessage): MaintenanceAnswer | null {
    if (this.#plan === null) return null;
    this.#incoming.req = req;
    const answer = answerInMaintenance(this.#plan, req.url ?? '/', this.#incoming);
    this.#incoming.req = null;
    return answer;
  }
}
