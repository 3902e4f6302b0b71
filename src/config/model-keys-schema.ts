/**
 * Where the server finds the master key for encrypted models (model.onnx.enc, docs/encryption.md). The key is
 * read at startup (server.ts), not here: the config keeps a path, or the key text from the environment.
 */
import path from 'node:path';
import { z } from 'zod';

export const ModelKeysSettings = {
  /** `model_keys.key_file`: a master key file (64 hex digits, as `amaas keygen` writes). Unset: see model_key. */
  model_keys: z
    .object({ key_file: z.string().min(1) })
    .strict()
    .optional(),
  /**
   * The master key itself (64 hex digits). Meant for the AMAAS_MODEL_KEY environment variable (a secret an
   * orchestrator injects), not for a config file; the server refuses to start when both it and model_keys are set.
   */
  model_key: z.string().min(1).optional(),
};

const ModelKeysObject = z.object(ModelKeysSettings);
type ModelKeysParsed = z.output<typeof ModelKeysObject>;

/** At most one of the two is set; both null: no master key, and an encrypted version cannot load. */
export interface ModelKeysConfig {
  /** Absolute path of the master key file. */
  readonly keyFile: string | null;
  /** The key text from AMAAS_MODEL_KEY (or model_key). */
  readonly keyText: string | null;
}

export function resolveModelKeys(c: ModelKeysParsed): { readonly modelKeys: ModelKeysConfig } {
  if (c.model_keys && c.model_key) {
    throw new Error('model_keys.key_file and model_key (AMAAS_MODEL_KEY) are both set: give the master key one way');
  }
  return {
    modelKeys: Object.freeze({
      keyFile: c.model_keys ? path.resolve(c.model_keys.key_file) : null,
      keyText: c.model_key ?? null,
    }),
  };
}
