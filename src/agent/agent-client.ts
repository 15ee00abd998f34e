import type { Duplex } from 'node:stream';
import { createInterface } from 'node:readline';
import { AgentError } from '../core/errors.js';
import type { MethodMap } from './control-server.js';
import type { AgentMethods, AgentResponseLine } from './protocol.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  onEvent?: (event: unknown) => void;
}

/**
 * Talks a JSON-lines protocol (the agent's, the router process's) over any duplex stream: a unix socket locally,
 * an SSH channel bridged to that socket for remote hosts. Requests are multiplexed by id on one stream.
 */
export class ProtocolClient<Methods extends MethodMap<Methods>> {
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed: Error | null = null;

  constructor(
    private readonly io: Duplex,
    readonly hostName: string,
    who = 'agent',
  ) {
    const lines = createInterface({ input: io, crlfDelay: Infinity });
    lines.on('line', (text) => this.#onLine(text));
    const onClose = (): void =>
      this.#failAll(new AgentError(`connection to the ${who} on ${hostName} closed`, 'Disconnected'));
    io.on('close', onClose);
    io.on('end', onClose);
    io.on('error', (err) =>
      this.#failAll(new AgentError(`${who} on ${hostName}: ${err.message}`, 'Disconnected', { cause: err })),
    );
  }

  /** Whether the stream has failed or closed (every further call is refused). */
  get closed(): boolean {
    return this.#closed !== null;
  }

  call<M extends keyof Methods & string>(
    method: M,
    params: Methods[M]['params'],
  ): Promise<Methods[M]['result']> {
    return this.send(method, params);
  }

  close(): void {
    this.io.end();
    this.io.destroy();
  }

  protected send(method: string, params: unknown, onEvent?: (event: unknown) => void): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, ...(onEvent ? { onEvent } : {}) });
      this.io.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  #onLine(text: string): void {
    if (!text.trim()) return;
    let line: AgentResponseLine;
    try {
      line = JSON.parse(text) as AgentResponseLine;
    } catch {
      return;
    }
    const pending = this.#pending.get(line.id);
    if (!pending) return;
    if ('event' in line) {
      pending.onEvent?.(line.event);
      return;
    }
    this.#pending.delete(line.id);
    if ('error' in line) {
      pending.reject(
        new AgentError(
          line.error.message,
          line.error.code,
          line.error.hint ? { hint: line.error.hint } : undefined,
        ),
      );
    } else {
      pending.resolve(line.result);
    }
  }

  #failAll(err: Error): void {
    this.#closed ??= err;
    for (const pending of this.#pending.values()) pending.reject(err);
    this.#pending.clear();
  }
}

/** The agent's protocol client. */
export class AgentClient extends ProtocolClient<AgentMethods> {
  /** A streaming call: events arrive through onEvent until the final result. */
  stream<M extends keyof AgentMethods>(
    method: M,
    params: AgentMethods[M]['params'],
    onEvent: (event: AgentMethods[M] extends { event: infer E } ? E : unknown) => void,
  ): Promise<AgentMethods[M]['result']> {
    return this.send(method, params, onEvent as (event: unknown) => void) as Promise<
      AgentMethods[M]['result']
    >;
  }
}
