import { UnknownNameError } from '../core/errors.js';
import { routeSelectorOf, type RouteSelector } from './config-values-front-door.js';
import type { EnvironmentConfig, SlipwayConfig } from './schema.js';

/** The environment named `environment` in slipway.yml; a name that is not there is bad input (UnknownNameError). */
export function environmentConfig(config: SlipwayConfig, environment: string): EnvironmentConfig {
  const env = Object.hasOwn(config.environments, environment) ? config.environments[environment] : undefined;
  if (!env) {
    throw new UnknownNameError(`no environment named "${environment}" in slipway.yml`, {
      hint: `environments: ${Object.keys(config.environments).join(', ')}`,
    });
  }
  return env;
}

/** Which route and targets on its hosts are the environment's (`routeSelectorOf`), from slipway.yml. */
export function environmentRoute(config: SlipwayConfig, environment: string): RouteSelector {
  return routeSelectorOf(config.app, environment, environmentConfig(config, environment));
}
