import { describe, expect, it } from 'vitest';
import type { Plan } from '../plan/steps.js';
import type { NewDeployment } from '../store/index.js';
import { recordThenAnnounce } from './record-deployment.js';

describe('recordThenAnnounce', () => {
  it('announces the plan only once the deployment is stored', async () => {
    const events: string[] = [];
    const store = {
      createDeployment: async (d: NewDeployment) => {
        await new Promise((resolve) => setTimeout(resolve, 5)); // a busy store
        events.push(`stored ${d.id}`);
        return { ...d } as never;
      },
    };
    const plan = { deploymentId: 'd-1' } as Plan;
    await recordThenAnnounce(store, { id: 'd-1' } as NewDeployment, plan, (p) => {
      events.push(`announced ${p.deploymentId}`);
    });
    expect(events).toEqual(['stored d-1', 'announced d-1']);
  });

  it('announces nothing when the deployment cannot be stored', async () => {
    const announced: string[] = [];
    const store = { createDeployment: () => Promise.reject(new Error('disk full')) };
    await expect(
      recordThenAnnounce(store, { id: 'd-2' } as NewDeployment, { deploymentId: 'd-2' } as Plan, (p) =>
        announced.push(p.deploymentId),
      ),
    ).rejects.toThrow('disk full');
    expect(announced).toEqual([]);
  });
});
