/**
 * The CLI as a newcomer uses it: `amaas serve` on the bundled example repository, then `amaas predict` and
 * `amaas models` against it; predict's outputs equal onnxruntime-node's.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { EXAMPLE_REPOSITORY } from '../../src/paths';
import { makeRepository, modelPath } from '../helpers/model-repository';
import { releaseDirectSessions, runDirect } from '../helpers/ort-direct';
import { CLI, ServerProcess, startServerProcess } from '../helpers/server-process';
import { tempFiles } from '../helpers/temp-files';

const run = promisify(execFile);
let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess(['--model-repository', EXAMPLE_REPOSITORY]);
});

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  await releaseDirectSessions();
});

const cli = (...args: string[]) => run(process.execPath, [CLI, ...args, '--address', server.address]);

it('predict prints outputs equal to onnxruntime-node run directly', async () => {
  const { stdout } = await cli('predict', 'mlp', '--inputs', JSON.stringify({ x: [Array.from({ length: 64 }, (_, i) => i / 64)] }));
  const printed = JSON.parse(stdout);
  const expected = await runDirect(path.join(EXAMPLE_REPOSITORY, 'mlp', '1', 'model.onnx'), {
    x: { type: 'float32', dims: [1, 64], data: Float32Array.from({ length: 64 }, (_, i) => i / 64) },
  });
  expect(printed.model_name).toBe('mlp');
  expect(printed.outputs.logits.shape).toEqual([1, 10]);
  expect(printed.outputs.logits.data).toEqual(expected.logits.values);
});

it('predict takes explicit datatype and shape, and strings', async () => {
  const { stdout } = await cli('predict', 'scale', '--inputs', '{"x": {"datatype": "FP32", "shape": [2, 4], "data": [1,2,3,4,5,6,7,8]}}');
  expect(JSON.parse(stdout).outputs.y).toEqual({ datatype: 'FP32', shape: [2, 4], data: [3, 5, 7, 9, 11, 13, 15, 17] });
  const text = await cli('predict', 'string_echo', '--inputs', '{"text": ["hello", "wörld"]}');
  expect(JSON.parse(text.stdout).outputs.text_out.data).toEqual(['hello', 'wörld']);
});

it('models lists the example repository with metadata', async () => {
  const { stdout } = await cli('models');
  const models = JSON.parse(stdout);
  expect(models.map((m: { name: string }) => m.name)).toEqual(['bool_not', 'int64_ops', 'mlp', 'multi_io', 'scale', 'string_echo']);
  expect(models.find((m: { name: string }) => m.name === 'scale').inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 4] }]);
});

it('models prints the same JSON with --json as into a pipe', async () => {
  const piped = JSON.parse((await cli('models')).stdout);
  expect(JSON.parse((await cli('models', '--json')).stdout)).toEqual(piped);
});

it('models --table prints the versions and tensors tables', async () => {
  const { stdout } = await cli('models', '--table');
  expect(() => JSON.parse(stdout)).toThrow();
  expect(stdout).toMatch(/^MODEL +VERSION +STATE +DEFAULT +PROVIDER +DETAIL$/m);
  for (const name of ['bool_not', 'int64_ops', 'mlp', 'multi_io', 'scale', 'string_echo']) {
    expect(stdout).toMatch(new RegExp(`^${name} +1 +READY +yes +cpu$`, 'm'));
  }
  expect(stdout).toMatch(/^scale +1 +input +x +FP32 +\[\?, 4\]$/m);
  expect(stdout).toMatch(/^int64_ops +1 +output +doubled +INT64 +\[\?, \?\]$/m);
  expect(stdout).toMatch(/^string_echo +1 +input +text +BYTES +\[\?\]$/m);
});

it('a control command prints the model state: a table with --table, JSON into a pipe', async () => {
  const table = await cli('set-default', 'scale', '1', '--table');
  expect(table.stdout).toMatch(/^scale +1 +READY +yes +cpu$/m);
  const unpinned = JSON.parse((await cli('set-default', 'scale', '0')).stdout);
  expect(unpinned).toMatchObject({ name: 'scale', defaultVersion: 1, versions: [{ version: 1, state: 'READY' }] });
});

it('a failing predict exits non-zero with the error code on stderr', async () => {
  await expect(cli('predict', 'nope', '--inputs', '{"x": {"datatype": "FP32", "shape": [1], "data": [1]}}')).rejects.toMatchObject({
    code: 5,
    stderr: expect.stringContaining('AMAAS_ERR_MODEL_NOT_FOUND'),
  });
});

describe('64-bit integers', () => {
  let repo: string;
  let int64Server: ServerProcess;
  const files = tempFiles('amaas-cli-int64-');

  beforeAll(async () => {
    repo = await makeRepository([{ model: 'identity_int64' }, { model: 'identity_uint64' }]);
    int64Server = await startServerProcess(['--model-repository', repo]);
  });

  afterAll(async () => {
    int64Server.child.kill('SIGTERM');
    await int64Server.exited;
    files.cleanup();
  });

  const predict = (...args: string[]) => run(process.execPath, [CLI, 'predict', ...args, '--address', int64Server.address]);

  it('predict takes INT64 and UINT64 values as JSON integers and prints them exactly', async () => {
    const int64 = [9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 62n + 1n];
    const direct64 = await runDirect(modelPath(repo, 'identity_int64'), { x: { type: 'int64', dims: [1, 4], data: BigInt64Array.from(int64) } });
    const printed64 = await predict('identity_int64', '--inputs', '{"x": [[9007199254740993, -9223372036854775808, 9223372036854775807, 4611686018427387905]]}');
    expect(printed64.stdout).toBe(
      `{"model_name":"identity_int64","model_version":1,"outputs":{"y":{"datatype":"INT64","shape":[1,4],"data":[${(direct64.y.values as bigint[]).join(',')}]}}}\n`,
    );
    expect(printed64.stdout).toContain('"data":[9007199254740993,-9223372036854775808,9223372036854775807,4611686018427387905]');

    const uint64 = [2n ** 64n - 1n, 9007199254740993n, 0n, 2n ** 63n];
    const direct = await runDirect(modelPath(repo, 'identity_uint64'), { x: { type: 'uint64', dims: [2, 2], data: BigUint64Array.from(uint64) } });
    const file = files.file('inputs.json', '{"x": {"datatype": "UINT64", "shape": [2, 2], "data": [18446744073709551615, 9007199254740993, 0, "9223372036854775808"]}}');
    const printed = await predict('identity_uint64', '--inputs-file', file);
    expect(printed.stdout).toBe(
      `{"model_name":"identity_uint64","model_version":1,"outputs":{"y":{"datatype":"UINT64","shape":[2,2],"data":[${(direct.y.values as bigint[]).join(',')}]}}}\n`,
    );
    expect(printed.stdout).toContain('"data":[18446744073709551615,9007199254740993,0,9223372036854775808]');
  });

  it('predict refuses a 64-bit value out of range, naming the input and element', async () => {
    await expect(predict('identity_uint64', '--inputs', '{"x": [[1, 18446744073709551616]]}')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/'x'.*element 1.*out of range/),
    });
  });
});
