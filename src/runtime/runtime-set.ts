import type { TargetSpec } from '../agent/protocol.js';
import type { PruneRequest, Runtime } from './runtime.js';
import type { TargetRecord } from './target-record.js';

/** The agent's runtimes side by side: a target's spec says which one runs it (`container` → docker). */
export class RuntimeSet {
  constructor(
    readonly process: Runtime,
    readonly docker: Runtime,
  ) {}

  for(spec: TargetSpec): Runtime {
    return spec.container ? this.docker : this.process;
  }

  /** The runtime that runs this target; the process runtime (whose logs outlive targets) when none does. */
  owner(id: string): Runtime {
    return this.docker.get(id) ? this.docker : this.process;
  }

  get(id: string): TargetRecord | undefined {
    return this.process.get(id) ?? this.docker.get(id);
  }

  list(): TargetRecord[] {
    return [...this.process.list(), ...this.docker.list()];
  }

  /** Both runtimes prune: an app that moved from processes to containers leaves directories behind, too. */
  async prune(request: PruneRequest): Promise<string[]> {
    return [...(await this.process.prune(request)), ...(await this.docker.prune(request))];
  }

  stop(id: string): Promise<boolean> {
    return this.owner(id).stop(id);
  }

  detach(): void {
    this.process.detach();
    this.docker.detach();
  }
}
