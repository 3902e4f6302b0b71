/** Reads and validates one model's config file; an invalid file makes every version of that model unavailable. */
import { readConfigFile, describeZodError } from '../config/load';
import { ModelConfig, resolveModelConfig } from '../config/schema';
import { AmaasError } from '../errors';

export function readModelConfig(configPath: string | undefined): ModelConfig {
  const raw = configPath ? readConfigFile(configPath) : {};
  try {
    return resolveModelConfig(raw ?? {});
  } catch (err) {
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `invalid model config ${configPath}: ${describeZodError(err)}`);
  }
}
