import { HealthCheckError, SlipwayError } from '../core/errors.js';
import type { CanaryController } from './canary-controller.js';
import { sleepUnlessAborted } from '../core/sleep.js';
import { installImage } from './install-image.js';
import { readFrontDoorSpec } from './front-door-certificates.js';
import { agentOf } from './host-agent.js';
import { obtainSharedCertificate, withSharedCertificate } from './shared-certificate.js';
import { runHookStep } from './run-hook.js';
import { startWorker, stopWorker, waitWorker } from './worker-handlers.js';
import { setScheduleStep } from './set-schedule.js';
import { VerificationFailedError } from '../verify/verification-failed-error.js';
import type { StepContext, StepHandlers } from './step-context.js';
import { deriveUnhealthyCause, describeUnhealthyHint } from './unhealthy-hint.js';

function requireCanary(ctx: StepContext): CanaryController {
  if (!ctx.canary)
    throw new SlipwayError('this step belongs to a canary deployment, but no canary is running');
  return ctx.canary;
}

/**
 * One handler per step kind: each turns the step's data into agent calls. The handlers that need large libraries
 * (bake: an HTTP client; verify: a load generator; the database steps: tar and database drivers; a deploy window:
 * cron expressions) load them when they run, so a switch-only deployment such as a warm rollback parses none of them.
 */
export const stepHandlers: StepHandlers = {
  'install-release': async (step, ctx) => {
    const host = ctx.hosts.get(step.host);
    if (!host) throw new SlipwayError(`host ${step.host} is not part of this environment`);
    if (step.image) return installImage(step, step.image, host, await host.agent(), ctx.secrets);
    const artifactPath = await host.putArtifact(step.artifact, step.sha256);
    const agent = await host.agent();
    const result = await agent.call('installRelease', {
      app: step.app,
      version: step.release,
      artifactPath,
      sha256: step.sha256,
      ...(step.shared ? { shared: step.shared } : {}),
    });
    return {
      detail: result.alreadyInstalled ? 'already installed' : 'unpacked',
      output: { dir: result.dir },
    };
  },

  'ensure-route': async (step, ctx) => {
    const agent = await agentOf(ctx, step.host);
    // The certificates are read when the step runs (the plan names their files) and sent over the agent's channel.
    const door = step.frontDoor;
    const frontDoor =
      door === undefined
        ? null
        : await withSharedCertificate(ctx, step.app, door, await readFrontDoorSpec(door));
    const route = await agent.call('ensureRoute', {
      app: step.app,
      publicPort: step.publicPort,
      bindAddress: step.bindAddress,
      metricsPort: step.metricsPort,
      frontDoor,
    });
    const on = route.created ? `listening on :${route.publicPort}` : `already on :${route.publicPort}`;
    return {
      detail:
        door === undefined
          ? on
          : `${on}; ${door.names.join(', ')} on the front door :${door.httpPort}/:${door.httpsPort}`,
    };
  },

  'start-target': async (step, ctx) => {
    const secretEnv: Record<string, string> = {};
    for (const name of step.secretNames) {
      const secret = ctx.secrets.get(name);
      if (!secret)
        throw new SlipwayError(`secret ${name} has no value`, {
          hint: `set ${name} or SLIPWAY_SECRET_${name} in the environment, or in .slipway/secrets/<environment>.env`,
        });
      secretEnv[name] = secret.reveal();
    }
    const agent = await agentOf(ctx, step.host);
    const target = await agent.call('startTarget', {
      id: step.targetId,
      app: step.app,
      release: step.release,
      command: step.command,
      env: step.env,
      secretEnv,
      stopTimeoutMs: step.stopTimeoutMs,
      healthCheck: step.healthCheck,
      restart: step.restart,
      ...(step.container ? { container: step.container } : {}),
    });
    return {
      detail: `${target.alreadyRunning ? 'already running' : 'started'} on port ${target.port} (pid ${target.pid ?? '?'})`,
      output: { port: target.port, pid: target.pid },
    };
  },

  'wait-healthy': async (step, ctx) => {
    const agent = await agentOf(ctx, step.host);
    const outcome = await agent.call('waitHealthy', { id: step.targetId, timeoutMs: step.timeoutMs });
    if (!outcome.healthy) {
      const hint = describeUnhealthyHint(deriveUnhealthyCause(outcome.reason), step);
      throw new HealthCheckError(
        `release ${step.release} did not become healthy on ${step.host}: ${outcome.reason ?? 'unknown reason'}`,
        hint === undefined ? undefined : { hint },
      );
    }
    return {
      detail: `healthy after ${outcome.checks} check${outcome.checks === 1 ? '' : 's'}`,
      output: { checks: outcome.checks },
    };
  },

  'switch-traffic': async (step, ctx) => {
    const agent = await agentOf(ctx, step.host);
    const started = ctx.clock.nowMs();
    const result = await agent.call('switchRoute', {
      app: step.app,
      targetId: step.targetId,
      ...(step.group ? { group: step.group } : {}),
      drainTimeoutMs: step.drainTimeoutMs,
    });
    if (step.group && !result.group) throw agentTooOldForInstances(step.host);
    const tookMs = ctx.clock.nowMs() - started;
    // A host-batched canary gets traffic host by host: each switch to it opens a new analysis window.
    if (ctx.canary?.isCanaryTarget(step.targetId)) await ctx.canary.markTrafficChanged(step.host);
    return {
      detail:
        result.previous === step.targetId
          ? 'already serving'
          : `${result.previous ? `from ${result.previous} ` : ''}in ${tookMs}ms`,
      output: { previous: result.previous, switchedAtMs: result.switchedAtMs, tookMs },
    };
  },

  'stop-target': async (step, ctx) => {
    const agent = await agentOf(ctx, step.host);
    const result = await agent.call('stopTarget', { id: step.targetId, drainTimeoutMs: step.drainTimeoutMs });
    return { detail: result.stopped ? 'stopped' : 'was not running' };
  },

  'retire-target': async (step, ctx) => {
    const agent = await agentOf(ctx, step.host);
    try {
      const result = await agent.call('retireTarget', { id: step.targetId, afterMs: step.afterMs });
      return {
        detail: `stops at ${new Date(result.stopAtMs).toISOString()}`,
        output: { stopAtMs: result.stopAtMs },
      };
    } catch (err) {
      // The old target may already be gone (crashed and retired meanwhile): nothing to keep warm.
      if (err instanceof Error && 'code' in err && err.code === 'NotFoundError')
        return { detail: 'already stopped' };
      throw err;
    }
  },

  'set-weight': async (step, ctx) => {
    const agent = await agentOf(ctx, step.host);
    await agent.call('setWeight', {
      app: step.app,
      canaryTargetId: step.canaryTargetId,
      weight: step.weight,
      header: step.header,
      cookie: step.cookie,
      tripwire: ctx.canary?.tripwireSpec() ?? null,
    });
    if (step.weight > 0) await ctx.canary?.markTrafficChanged(step.host);
    return {
      detail:
        step.weight === 0 ? 'canary gets no traffic' : `${step.weight}% of users on ${step.canaryRelease}`,
    };
  },

  pause: async (step, ctx) => {
    const { signal } = ctx;
    if (step.durationMs !== null) {
      await sleepUnlessAborted(step.durationMs, signal);
      ctx.canary?.noteWaitEnded();
      return { detail: 'waited' };
    }
    const promote = await requireCanary(ctx).waitForPromote(signal);
    return {
      detail: `promoted by ${promote.actor}`,
      output: { signalSeq: promote.seq, promotedBy: promote.actor },
    };
  },

  analyze: async (step, ctx) => {
    const { signal } = ctx;
    const canary = requireCanary(ctx);
    const gate = step.promotionGate === true;
    if (!gate && (await canary.waitForSuccess(step.timeoutMs, signal)) === 'successful') {
      canary.noteWaitEnded();
      return { detail: 'successful', output: { verdict: canary.verdict } };
    }
    // Inconclusive never promotes: wait for a person to promote (their override), a successful verdict or abort.
    const outcome = await canary.waitForPromotion(signal, ctx.note ?? (() => Promise.resolve()), gate);
    if (outcome.by === 'verdict') {
      canary.noteWaitEnded();
      return { detail: 'successful', output: { verdict: outcome.verdict } };
    }
    const verdict = outcome.verdict;
    return {
      detail: `${verdict ? `analysis ${verdict.result}` : 'no verdict'}; promoted by ${outcome.signal.actor} (operator override)`,
      output: { verdict, promotedBy: outcome.signal.actor, signalSeq: outcome.signal.seq, override: true },
    };
  },

  'ensure-edge': async (step, ctx) => {
    const agent = await agentOf(ctx, step.host);
    // The fleet behind one name: the edge's router on its host's front door, certificates read as ensure-route's.
    const door = step.frontDoor;
    const edge = await agent.call('ensureEdge', {
      app: step.app,
      publicPort: step.publicPort,
      bindAddress: step.bindAddress,
      healthCheck: step.healthCheck,
      upstreams: step.upstreams,
      ...(step.failover ? { failover: step.failover } : {}),
      frontDoor: door === undefined ? null : await readFrontDoorSpec(door),
    });
    const balancing = `balancing across ${step.upstreams.length} host${step.upstreams.length === 1 ? '' : 's'}`;
    if (door === undefined) return { detail: balancing };
    if (edge.frontDoor === undefined) {
      throw new SlipwayError(`the router process on ${step.host} did not put the edge on its front door`, {
        hint: 'it predates domains with an edge (a router process keeps serving across agent upgrades): it takes them once it is started anew',
      });
    }
    return {
      detail: `${balancing}; ${door.names.join(', ')} on the front door :${door.httpPort}/:${door.httpsPort}`,
    };
  },

  'obtain-certificate': (step, ctx) => obtainSharedCertificate(step, ctx),
  'run-hook': (step, ctx) => runHookStep(step, ctx),
  'start-worker': startWorker,
  'wait-worker': waitWorker,
  'stop-worker': stopWorker,
  'set-schedule': (step, ctx) => setScheduleStep(step, ctx),

  'set-edge-member': async (step, ctx) => {
    const agent = await agentOf(ctx, step.host);
    const result = await agent.call('setEdgeMember', {
      app: step.app,
      id: step.member,
      enabled: step.enabled,
      drainTimeoutMs: step.drainTimeoutMs,
    });
    if (!step.enabled) return { detail: 'drained' };
    // Not failed: its router serves and passed its own check; the edge's checks will let it in (status says why).
    return {
      detail:
        result.inRotation === false
          ? "back in the edge, not in rotation yet: the edge's checks have not let it in (slipway status shows why)"
          : 'in rotation',
    };
  },

  // Windows are cron expressions: croner loads when a deployment waits for one.
  'await-window': async (step, ctx) =>
    (await import('../pipeline/await-window-handler.js')).awaitWindowHandler(step, ctx),
  bake: async (step, ctx) => (await import('../pipeline/bake-handler.js')).bakeHandler(step, ctx),
  'await-approval': async (step, ctx) => {
    if (!ctx.approvals)
      throw new SlipwayError('this deployment waits for approvals, but no one collects them');
    const state = await ctx.approvals.wait(step, ctx.signal);
    return { detail: `approved by ${state.approvedBy.join(', ')}`, output: { approvedBy: state.approvedBy } };
  },

  verify: async (step, ctx) => {
    if (!ctx.verification) throw new SlipwayError('this step needs the store to keep its results');
    const { runVerification } = await import('../verify/run-verification.js');
    const { record, failures } = await runVerification(step, ctx.verification, ctx.signal);
    if (failures.length > 0)
      throw new VerificationFailedError(step.release, step.environment, failures, step.suite.onFailure);
    const perf = record.performance;
    return {
      detail:
        `${record.checks.length} check${record.checks.length === 1 ? '' : 's'} passed` +
        (perf ? ` (${Math.round(perf.requestsPerSecond)} req/s, p95 ${Math.round(perf.p95Ms)}ms)` : ''),
      output: { verificationId: record.id },
    };
  },

  'prune-releases': async (step, ctx) => {
    const agent = await agentOf(ctx, step.host);
    const result = await agent.call('pruneReleases', {
      app: step.app,
      keep: step.keep,
      ...(step.dockerSocket ? { dockerSocket: step.dockerSocket } : {}),
    });
    return { detail: result.removed.length ? `removed ${result.removed.join(', ')}` : 'nothing to remove' };
  },

  'backup-database': async (step, ctx) =>
    (await import('../migrate/execute-backup-step.js')).executeBackupStep(step, ctx),

  migrate: async (step, ctx) =>
    (await import('../migrate/execute-migrate-step.js')).executeMigrateStep(step, ctx),
};

/** An agent older than groups switched to the group's first target alone: the deployment must not go on so. */
function agentTooOldForInstances(host: string): SlipwayError {
  return new SlipwayError(
    `the agent on ${host} is older than several instances per host (run.instances): it switched to one instance only`,
    { hint: `run \`slipway setup\` for the environment to upgrade the agent, then deploy again` },
  );
}
