#!/usr/bin/env node
/**
 * The amaas command line: `serve` runs the server; `predict` and `models` are clients of a running one.
 * `predict` prints JSON; `models` and the model-control commands print a table on a terminal and JSON otherwise
 * (src/cli/output-format.ts), so they compose with jq. Errors go to stderr with a non-zero exit.
 */
import { AmaasError } from '../errors';
import { Command, InvalidArgumentError } from 'commander';
import fs from 'node:fs';
import { AmaasClient, AmaasCallError, ClientTensor, ModelInfo } from '../client/amaas-client';
import { dataTypeByName } from '../codec/dtypes';
import { parseJson, stringifyJson } from '../codec/json-text';
import { tensorFromJson, tensorJsonValues } from '../codec/json-tensor';
import { parseShape } from '../codec/tensor-codec';
import { loadServerConfig } from '../config/load';
import { setLogLevel } from '../observability/logging';
import { startServer } from '../server';
import { registerKeysCommand } from './keys-command';
import { registerUsageCommand } from './usage-command';
import { registerQuantizeCommand } from './quantize-command';
import { registerConvertCommand } from './convert-command';
import { registerCompareCommand } from './compare-command';
import { registerKeygenCommand } from './keygen-command';
import { registerEncryptCommand } from './encrypt-command';
import { registerTrafficCommand } from './traffic-command';
import { registerBatchCommand } from './batch-command';
import { ClientFlags, clientFrom, withClientOptions } from './client-options';
import { renderModelState, renderModels } from './models-view';
import { FormatFlags, printResult, withFormatOptions } from './output-format';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface ServeOptions {
  modelRepository?: string;
  port?: number;
  httpPort?: number;
  metricsPort?: number;
  host?: string;
  config?: string;
  modelControlMode?: string;
  repositoryPollSecs?: number;
  loadModel?: string[];
  allowUnauthenticated?: boolean;
}

async function serve(options: ServeOptions): Promise<void> {
  const config = loadServerConfig({
    file: options.config,
    env: process.env,
    flags: {
      model_repository: options.modelRepository,
      port: options.port,
      http_port: options.httpPort,
      metrics_port: options.metricsPort,
      host: options.host,
      model_control_mode: options.modelControlMode,
      repository_poll_secs: options.repositoryPollSecs,
      load_model: options.loadModel,
      allow_unauthenticated: options.allowUnauthenticated,
    },
  });
  setLogLevel(config.logLevel);
  const server = await startServer(config);
  // One machine-readable line on stdout: scripts and tests wait for it to learn the bound port.
  process.stdout.write(`amaas serving on ${server.address}\n`);
  if (server.httpPort !== null) {
    const host = server.address.slice(0, server.address.lastIndexOf(':'));
    process.stdout.write(`amaas http on ${host}:${server.httpPort}\n`);
  }
  if (server.metricsPort !== null) {
    const host = server.address.slice(0, server.address.lastIndexOf(':'));
    process.stdout.write(`amaas metrics on ${host}:${server.metricsPort}\n`);
  }
  // SIGTERM: NOT_SERVING for shutdown_delay_ms, then drain. SIGINT, or a signal during the delay: drain now.
  // A signal while draining: exit at once.
  let signals = 0;
  const stop = (signal: string) => {
    signals++;
    if (server.draining) {
      process.stderr.write(`${signal} again: exiting without draining\n`);
      process.exit(1);
    }
    server.shutdown({ delay: signal === 'SIGTERM' && signals === 1 }).then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

interface JsonTensorSpec {
  datatype?: string;
  shape?: number[];
  data: unknown;
}

/**
 * `{"x": [[1,2,3,4]]}` or `{"x": {"datatype": "FP32", "shape": [1,4], "data": [1,2,3,4]}}`. Integers are read
 * exactly at any size (json-text.ts), so INT64/UINT64 values beyond 2^53 may be plain JSON integers.
 */
async function parseInputs(client: AmaasClient, model: string, version: number, json: string): Promise<Record<string, ClientTensor>> {
  let parsed: Record<string, unknown>;
  try {
    parsed = parseJson(json) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`--inputs is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('--inputs must be a JSON object mapping input names to data');
  }
  const needsMetadata = Object.values(parsed).some((v) => Array.isArray(v) || (v as JsonTensorSpec)?.datatype === undefined);
  const metadata = needsMetadata ? await client.getModelMetadata(model, version) : null;
  const inputs: Record<string, ClientTensor> = {};
  for (const [name, value] of Object.entries(parsed)) {
    const spec: JsonTensorSpec = Array.isArray(value) || typeof value !== 'object' || value === null ? { data: value } : (value as JsonTensorSpec);
    const datatypeName = spec.datatype ?? metadata?.inputs.find((i) => i.name === name)?.datatype;
    if (!datatypeName) throw new Error(`input '${name}': model '${model}' has no such input, and no datatype was given`);
    const datatype = dataTypeByName(datatypeName);
    if (!datatype) throw new Error(`input '${name}': unknown datatype ${datatypeName}`);
    if (spec.shape !== undefined && !Array.isArray(spec.shape)) throw new Error(`input '${name}': "shape" must be an array of dimensions`);
    const t = tensorFromJson(name, datatype, spec.data, spec.shape === undefined ? undefined : parseShape(name, spec.shape));
    inputs[name] = { data: t.data, dims: [...t.shape], datatype: datatype.name };
  }
  return inputs;
}

async function predict(model: string, options: ClientFlags & { inputs?: string; inputsFile?: string; version: number; outputs?: string; timeoutMs?: number }): Promise<void> {
  const json = options.inputsFile ? fs.readFileSync(options.inputsFile, 'utf8') : options.inputs;
  if (!json) throw new Error('give the inputs with --inputs JSON or --inputs-file FILE');
  const client = clientFrom(options);
  try {
    const inputs = await parseInputs(client, model, options.version, json);
    const result = await client.predict(model, inputs, {
      version: options.version,
      outputs: options.outputs ? options.outputs.split(',') : undefined,
      timeoutMs: options.timeoutMs,
    });
    const outputs = Object.fromEntries(
      Object.entries(result.outputs).map(([name, t]) => {
        const values = tensorJsonValues({ name, datatype: dataTypeByName(t.datatype)!, shape: t.dims, data: t.data });
        return [name, { datatype: t.datatype, shape: t.dims, data: values }];
      }),
    );
    // INT64/UINT64 values print as exact JSON integers.
    process.stdout.write(`${stringifyJson({ model_name: result.modelName, model_version: result.modelVersion, outputs })}\n`);
  } finally {
    client.close();
  }
}

async function models(options: ClientFlags & FormatFlags): Promise<void> {
  const client = clientFrom(options);
  try {
    printResult(await client.listModels(), options, renderModels);
  } finally {
    client.close();
  }
}

function fail(err: unknown): never {
  const e = err as AmaasCallError;
  const detail = e.details ?? e.message ?? String(err);
  // A server's refusal carries errorCode; a refusal made here (bad --inputs) is an AmaasError with its code.
  const code = e.errorCode ?? (err instanceof AmaasError ? err.code : undefined);
  process.stderr.write(`amaas: ${code ? `${code}: ` : ''}${detail}\n`);
  process.exit(typeof e.code === 'number' && e.code > 0 ? Math.min(e.code, 125) : 1);
}

const program = new Command('amaas').description('AI model as a service: a gRPC inference server for ONNX models');

program
  .command('serve')
  .description('serve the models of a model repository over gRPC')
  .option('--model-repository <dir>', 'model repository: <dir>/<model>/<version>/model.onnx')
  .option('--port <n>', 'gRPC port (0 = any free port)', integer)
  .option('--http-port <n>', 'also serve the Open Inference Protocol over HTTP/REST on this port (0 = any free port)', integer)
  .option('--metrics-port <n>', 'serve Prometheus metrics (GET /metrics) on this port (0 = any free port; Triton uses 8002)', integer)
  .option('--host <host>', 'address to bind (default 127.0.0.1)')
  .option('--config <file>', 'server config file (YAML or JSON)')
  .option('--model-control-mode <mode>', 'none (load at start), poll (also rescan the repository) or explicit (load only --load-model models)')
  .option('--repository-poll-secs <n>', 'seconds between repository scans in poll mode (default 15)', integer)
  .option('--load-model <name>', 'in explicit mode, a model to load at start (repeatable)', collect)
  .option('--allow-unauthenticated', 'serve without auth on a non-loopback host (every caller may use and manage every model)')
  .action((o) => serve(o).catch(fail));

withClientOptions(program.command('predict <model>'))
  .description('run one prediction and print the outputs as JSON')
  .option('--inputs <json>', 'inputs: {"x": [[1,2,3,4]]} or {"x": {"datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}}')
  .option('--inputs-file <file>', 'read the inputs JSON from a file')
  .option('--version <n>', 'model version (default: the model default)', integer, 0)
  .option('--outputs <names>', 'comma-separated outputs to return (default: all)')
  .option('--timeout-ms <ms>', 'deadline for the call', integer)
  .action((model, o) => predict(model, o).catch(fail));

withClientOptions(withFormatOptions(program.command('models')))
  .description('list the models with their versions, states, default version, inputs and outputs')
  .action((o) => models(o).catch(fail));

/** Runs one model-control call and prints the model's state afterwards. */
async function control(options: ClientFlags & FormatFlags, call: (client: AmaasClient) => Promise<ModelInfo>): Promise<void> {
  const client = clientFrom(options);
  try {
    printResult(await call(client), options, renderModelState);
  } finally {
    client.close();
  }
}

withClientOptions(withFormatOptions(program.command('load <model>')))
  .description('load a model (what its version_policy selects) or one version; waits until it is READY')
  .option('--version <n>', 'just this version', integer, 0)
  .action((model, o) => control(o, (c) => c.loadModel(model, o.version)).catch(fail));

withClientOptions(withFormatOptions(program.command('unload <model>')))
  .description('unload a model, or one version, after its queued and running requests are answered')
  .option('--version <n>', 'just this version', integer, 0)
  .action((model, o) => control(o, (c) => c.unloadModel(model, o.version)).catch(fail));

withClientOptions(withFormatOptions(program.command('set-default <model> <version>')))
  .description('pin the version that serves requests naming none (0 removes the pin)')
  .action((model, version, o) => control(o, (c) => c.setDefaultVersion(model, integer(version))).catch(fail));

withClientOptions(withFormatOptions(program.command('rollback <model>')))
  .description('make the previous default version the default again')
  .action((model, o) => control(o, (c) => c.rollback(model)).catch(fail));

registerKeysCommand(program);
registerUsageCommand(program);
registerQuantizeCommand(program);
registerConvertCommand(program);
registerCompareCommand(program);
registerKeygenCommand(program);
registerEncryptCommand(program);
registerTrafficCommand(program);
registerBatchCommand(program);

program.parseAsync(process.argv).catch(fail);
