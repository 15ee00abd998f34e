import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { DEFAULTS } from './defaults.js';
import { parseConfig } from './parse-config.js';
import type { SlipwayConfig } from './schema.js';

export interface LoadedConfig {
  config: SlipwayConfig;
  /** Absolute path of the file read. */
  file: string;
  /** Its directory: the project directory that relative paths in the config (build.path) start from. */
  dir: string;
}

const INIT_HINT = 'run "slipway init" to write one';

/**
 * Reads and validates slipway.yml: `configPath` (a file, or a directory holding slipway.yml), by default
 * slipway.yml in the working directory. Throws ConfigError with every problem found.
 */
export async function loadConfig(configPath?: string): Promise<LoadedConfig> {
  const file = await resolveConfigFile(path.resolve(configPath ?? DEFAULTS.configFile));
  const text = await readConfigText(file);
  // Issues name the file as the user would type it, so that `file:line:column` opens in an editor.
  const result = parseConfig(text, displayPath(file));
  if ('issues' in result) throw new ConfigError(result.issues);
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
