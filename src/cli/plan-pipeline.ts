import { SlipwayError } from '../core/errors.js';
import type { Gate, GateStatus } from '../pipeline/gates.js';
import { collectGates } from '../pipeline/run-pipeline.js';
import { createPipelinePorts } from '../control-plane/pipeline-ports.js';
import type { Project } from '../control-plane/open-project.js';
import { bold, dim, green, red, yellow } from './progress-renderer.js';

export interface PipelinePlanEntry {
  environment: string;
  promote: 'manual' | 'automatic';
  serving: boolean;
  markedGood: boolean;
  gates: Gate[];
}

/** Each environment of the pipeline with its gates for `version`, judged now. */
export async function collectPipelinePlan(project: Project, version: string): Promise<PipelinePlanEntry[]> {
  const pipeline = project.config.pipeline;
  if (pipeline.length === 0) {
    throw new SlipwayError('slipway.yml has no pipeline', {
      hint: 'add e.g. "pipeline: [staging, production]" (see docs/pipelines.md)',
    });
  }
  const ports = createPipelinePorts(project);
  const marks = await project.store.listReleaseMarks(project.config.app);
  const entries: PipelinePlanEntry[] = [];
  for (const stage of pipeline) {
    const [last] = await project.store
      .listDeployments({ app: project.config.app, environment: stage.environment, limit: 1 })
      .then((ds) => ds.filter((d) => d.outcome === 'succeeded'));
    entries.push({
      environment: stage.environment,
      promote: stage.promote,
      serving: last?.releaseVersion === version,
      markedGood: marks.some((m) => m.environment === stage.environment && m.version === version),
      gates: await collectGates(project, ports, {
        environment: stage.environment,
        version,
        notBeforeMs: null,
        overrideFreeze: null,
      }),
    });
  }
  return entries;
}

const MARKS: Record<GateStatus, (s: string) => string> = {
  passed: (s) => green(`✔ ${s}`),
  blocked: (s) => red(`✖ ${s}`),
  waits: (s) => yellow(`⏳ ${s}`),
  overridden: (s) => yellow(`! ${s}`),
  after: (s) => dim(`→ ${s}`),
};

export function printPipelinePlan(app: string, version: string, entries: PipelinePlanEntry[]): void {
  process.stdout.write(`${bold(`Pipeline of ${app} for release ${version}`)}\n`);
  entries.forEach((e, i) => {
    const state = e.serving
      ? green(e.markedGood ? 'deployed, marked good' : 'deployed')
      : dim('not deployed');
    const next = i < entries.length - 1 ? `, promotion to the next: ${e.promote}` : '';
    process.stdout.write(`${i + 1}. ${bold(e.environment)} ${dim(`(${state}${dim(next)})`)}\n`);
    for (const g of e.gates) process.stdout.write(`   ${MARKS[g.status](`${g.kind}: ${g.detail}`)}\n`);
  });
}
