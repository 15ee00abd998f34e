// Types for the benchmark's debian-tool.mjs, so that its unit test (TypeScript) can import it.
export type ToolInstallPlan =
  | { kind: 'present' }
  | { kind: 'refuse'; message: string }
  | { kind: 'install'; commands: string[][]; retry: string[][] | null };

export function planToolInstall(facts: {
  tool: string;
  pkg: string;
  present: boolean;
  isRoot: boolean;
  hasAptGet: boolean;
  hasPackageLists: boolean;
}): ToolInstallPlan;

export function ensureDebianTool(options: {
  tool: string;
  pkg: string;
  probe: () => string | null;
  log?: (line: string) => void;
}): string;
