/** Slipway's version, as in package.json (a test keeps the two equal); `slipway --version` prints it. */
export const SLIPWAY_VERSION = '0.1.0';
