// Types for no-upward-import.mjs, so that its unit test (TypeScript) can import it.
import type { ESLint, Rule } from 'eslint';

export interface LayerException {
  /** A source file, relative to `root` (e.g. `src/operations/deploy.ts`). */
  file: string;
  /** The folder of src/ it may still import by value (e.g. `cli`). */
  imports: string;
}

export interface NoUpwardImportOptions {
  /** The repository's root (absolute). */
  root: string;
  /** The source directory under `root`; default `src`. */
  src?: string;
  /** Folders of src/, bottom layer first; the folders of one layer are peers. */
  layers: readonly (readonly string[])[];
  exceptions?: readonly LayerException[];
}

export const noUpwardImport: Rule.RuleModule;
export const slipwayPlugin: ESLint.Plugin;
