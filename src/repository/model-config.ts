/**
 * Reads and validates one model's config file; an invalid file makes every version of that model unavailable.
 * Clients see the problem as each version's reason, so it names the file (config.yaml), never the server's path.
 */
import path from 'node:path';
import { readConfigFile, describeZodError } from '../config/load';
import { ModelConfig, resolveModelConfig } from '../config/schema';
import { AmaasError, toAmaasError } from '../errors';
import { relativeTo } from '../errors-format';

export function readModelConfig(configPath: string | undefined): ModelConfig {
  if (!configPath) return resolveModelConfig({});
  let raw: unknown;
  try {
    raw = readConfigFile(configPath);
  } catch (err) {
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', relativeTo(toAmaasError(err).message, path.dirname(configPath)));
  }
  try {
    return resolveModelConfig(raw ?? {});
  } catch (err) {
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `invalid model config ${path.basename(configPath)}: ${describeZodError(err)}`);
  }
}
