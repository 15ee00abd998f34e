// Types for test-prereqs.mjs (what `npm test` runs first), so that its unit test (TypeScript) can import it.
export interface Requirement {
  command?: string;
  file?: string;
  pkg: string;
  why: string;
}

export type PrereqPlan =
  | { kind: 'present' }
  | { kind: 'refuse'; message: string }
  | { kind: 'install'; pkgs: string[]; commands: string[][]; retry: string[][] | null; failed: string };

export const REQUIREMENTS: readonly Requirement[];

export function planPrereqs(facts: {
  missing: readonly Requirement[];
  isRoot: boolean;
  hasAptGet: boolean;
  hasPackageLists: boolean;
  platform?: string;
}): PrereqPlan;

export function missingRequirements(requirements?: readonly Requirement[]): Requirement[];
