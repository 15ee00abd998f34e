// Types for layers.mjs, so that the rule's unit test (TypeScript) can check the table.
import type { LayerException } from './no-upward-import.mjs';

export const LAYERS: readonly (readonly string[])[];
export const EXCEPTIONS: readonly LayerException[];
