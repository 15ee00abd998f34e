declare const __SLIPWAY_BUILD_ID__: string | undefined;

/**
 * A hash of every source of this build, set by scripts/build.mjs (esbuild's `define`); null when Slipway runs from
 * its sources (the unit tests), where nothing may be cached across runs.
 */
export const BUILD_ID: string | null = typeof __SLIPWAY_BUILD_ID__ === 'string' ? __SLIPWAY_BUILD_ID__ : null;
