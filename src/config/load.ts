/**
 * Builds the frozen server config from its three sources, later ones winning: a config file, AMAAS_*
 * environment variables, command-line flags. Errors name the key and the source.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { AmaasError } from '../errors';
import { ServerConfig, ServerConfigSchema, resolveServerConfig } from './schema';

/** Reads a YAML or JSON file (by extension; YAML is a superset of JSON, so anything else parses as YAML). */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `cannot read config file ${file}: ${(err as Error).message}`);
  }
  try {
    return path.extname(file) === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `config file ${file} is not valid: ${(err as Error).message}`);
  }
}

/** The zod type a server setting finally holds ('number', 'array', ...), under its optional/default wrappers. */
export function settingType(key: string): string {
  let def = (ServerConfigSchema.shape as Record<string, z.ZodType>)[key].def as { type: string; innerType?: z.ZodType };
  while (def.innerType) def = def.innerType.def as typeof def;
  return def.type;
}

// Read from the schema, so a new numeric or list setting parses from the environment without a second list.
const NUMERIC_KEYS = new Set(Object.keys(ServerConfigSchema.shape).filter((k) => settingType(k) === 'number'));
/** Lists in the environment are comma-separated: AMAAS_LOAD_MODEL=mlp,scale. */
const LIST_KEYS = new Set(Object.keys(ServerConfigSchema.shape).filter((k) => settingType(k) === 'array'));
/** AMAAS_ALLOW_UNAUTHENTICATED=true; only `true` and `false` are taken. */
const BOOLEAN_KEYS = new Set(Object.keys(ServerConfigSchema.shape).filter((k) => settingType(k) === 'boolean'));
/** Nested settings (tls, auth, audit) come from the config file only. */
const OBJECT_KEYS = new Set(Object.keys(ServerConfigSchema.shape).filter((k) => settingType(k) === 'object'));

/** AMAAS_PORT=50052 -> { port: 50052 }; only keys the schema knows are taken. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(ServerConfigSchema.shape)) {
    const value = env[`AMAAS_${key.toUpperCase()}`];
    if (value === undefined || value === '' || OBJECT_KEYS.has(key)) continue;
    if (BOOLEAN_KEYS.has(key)) {
      if (value !== 'true' && value !== 'false') {
        throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `AMAAS_${key.toUpperCase()}=${JSON.stringify(value)}: ${key} must be true or false`);
      }
      out[key] = value === 'true';
      continue;
    }
    if (NUMERIC_KEYS.has(key) && !/^[0-9]+$/.test(value.trim())) {
      throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `AMAAS_${key.toUpperCase()}=${JSON.stringify(value)}: ${key} must be a non-negative integer`);
    }
    out[key] = NUMERIC_KEYS.has(key) ? Number(value) : LIST_KEYS.has(key) ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
  }
  return out;
}

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  flags?: Record<string, unknown>;
}

export function loadServerConfig(sources: ConfigSources): ServerConfig {
  const fromFile = sources.file ? readConfigFile(sources.file) : {};
  if (fromFile !== null && (typeof fromFile !== 'object' || Array.isArray(fromFile))) {
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `config file ${sources.file} must hold a mapping of settings`);
  }
  const merged = {
    ...(fromFile as object),
    ...configFromEnv(sources.env ?? {}),
    ...dropUndefined(sources.flags ?? {}),
  };
  try {
    return resolveServerConfig(merged);
  } catch (err) {
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `invalid server config: ${describeZodError(err)}`, { cause: err });
  }
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** "port: must be <= 65535; host: required" — names each key, which zod's default message buries. */
export function describeZodError(err: unknown): string {
  if (err instanceof z.ZodError) {
    return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  }
  return err instanceof Error ? err.message : String(err);
}
