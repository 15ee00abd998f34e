import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BUILD_ID } from '../core/build-id.js';
import { ConfigError } from '../core/errors.js';
import { defaultConfigCacheDir, openConfigCache, type ConfigCache } from './config-cache.js';
import { DEFAULTS } from './defaults.js';
import type { SlipwayConfig } from './schema.js';

export interface LoadedConfig {
  config: SlipwayConfig;
  /** Absolute path of the file read. */
  file: string;
  /** Its directory: the project directory that relative paths in the config (build.path) start from. */
  dir: string;
}

const INIT_HINT = 'run "slipway init" to write one';

/** The built CLI's cache of validated configs (src/config/config-cache.ts); none when running from sources. */
const defaultCache: ConfigCache | null = BUILD_ID ? openConfigCache(defaultConfigCacheDir(), BUILD_ID) : null;

/**
 * Reads and validates slipway.yml: `configPath` (a file, or a directory holding slipway.yml), by default
 * slipway.yml in the working directory. Throws ConfigError with every problem found. The parser and the schema
 * are loaded only when `cache` has no entry for the file's text.
 */
export async function loadConfig(
  configPath?: string,
  cache: ConfigCache | null = defaultCache,
): Promise<LoadedConfig> {
  const file = await resolveConfigFile(path.resolve(configPath ?? DEFAULTS.configFile));
  const text = await readConfigText(file);
  const cached = cache?.read(text);
  if (cached) return { config: cached, file, dir: path.dirname(file) };
  const { parseConfig } = await import('./parse-config.js');
  // Issues name the file as the user would type it, so that `file:line:column` opens in an editor.
  const result = parseConfig(text, displayPath(file));
  if ('issues' in result) throw new ConfigError(result.issues);
  cache?.write(text, result.config);
  return { config: result.config, file, dir: path.dirname(file) };
}

async function resolveConfigFile(target: string): Promise<string> {
  const info = await stat(target).catch(() => undefined);
  return info?.isDirectory() ? path.join(target, DEFAULTS.configFile) : target;
}

async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError([{ path: '', message: 'file not found', file: displayPath(file) }], {
        hint: INIT_HINT,
      });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([
      { path: '', message: `cannot read the configuration file: ${reason}`, file: displayPath(file) },
    ]);
  }
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
