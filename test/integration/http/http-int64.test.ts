/**
 * 64-bit integers over the REST binding: INT64 and UINT64 values beyond 2^53 go in as plain JSON integers
 * and come back as exact JSON integers, equal to onnxruntime-node run directly on the same input.
 */
import { parseJson } from '../../../src/codec/json-text';
import { makeRepository, modelPath } from '../../helpers/model-repository';
import { releaseDirectSessions, runDirect } from '../../helpers/ort-direct';
import { TestServer, startTestServer } from '../../helpers/test-server';

const MAX_MESSAGE_BYTES = 64 * 1024;

let repo: string;
let ts: TestServer;
let base: string;

beforeAll(async () => {
  repo = await makeRepository([{ model: 'identity_int64' }, { model: 'identity_uint64' }, { model: 'int64_ops' }, { model: 'identity_int32' }]);
  ts = await startTestServer(repo, { http_port: 0, max_message_bytes: MAX_MESSAGE_BYTES });
  base = `http://127.0.0.1:${ts.server.httpPort}`;
});

afterAll(async () => {
  await ts.stop();
  await releaseDirectSessions();
});

/** Posts the body text as written (JSON.stringify could not write these integers) and returns the raw answer. */
async function infer(model: string, body: string): Promise<{ status: number; text: string; connection: string | null }> {
  const res = await fetch(`${base}/v2/models/${model}/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, text: await res.text(), connection: res.headers.get('connection') };
}

/** Parsed JSON integers are numbers when safe and bigints beyond; onnxruntime gives bigints throughout. */
const asBigInts = (values: unknown) => (values as (number | bigint)[]).map((v) => BigInt(v));

const inputBody = (name: string, datatype: string, shape: number[], data: string) =>
  `{"inputs": [{"name": "${name}", "datatype": "${datatype}", "shape": [${shape.join(', ')}], "data": ${data}}]}`;

it.each([
  ['INT64', 'identity_int64', 'int64', [9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 2n ** 62n + 1n]],
  ['UINT64', 'identity_uint64', 'uint64', [2n ** 64n - 1n, 9007199254740993n, 0n, 1n, 2n ** 63n, 2n ** 62n + 1n]],
] as const)('%s values go in as JSON integers and come back exact, as onnxruntime gives them', async (datatype, model, ort, values) => {
  const data = `[${values.join(', ')}]`;
  const expected = await runDirect(modelPath(repo, model), {
    x: { type: ort, dims: [2, 3], data: ort === 'int64' ? BigInt64Array.from(values) : BigUint64Array.from(values) },
  });
  expect(expected.y.values).toEqual(values);

  for (const shaped of [data, `[[${values.slice(0, 3).join(', ')}], [${values.slice(3).join(', ')}]]`]) {
    const res = await infer(model, inputBody('x', datatype, [2, 3], shaped));
    expect(res).toMatchObject({ status: 200 });
    // Printed as plain integers, digit for digit.
    expect(res.text).toContain(`"data":[${(expected.y.values as bigint[]).join(',')}]`);
    const answer = parseJson(res.text) as { outputs: { data: unknown }[] };
    expect(asBigInts(answer.outputs[0].data)).toEqual(expected.y.values);
    expect(answer).toEqual({
      model_name: model,
      model_version: '1',
      outputs: [{ name: 'y', datatype, shape: expected.y.dims, data: expect.any(Array) }],
    });
  }
});

it('decimal strings are still accepted, and computed outputs are exact', async () => {
  const ids = [9007199254740993n, -(2n ** 62n), 2n ** 62n - 1n, 7n];
  const expected = await runDirect(modelPath(repo, 'int64_ops'), { ids: { type: 'int64', dims: [2, 2], data: BigInt64Array.from(ids) } });
  const mixed = `[["9007199254740993", ${ids[1]}], [${ids[2]}, "7"]]`;
  const res = await infer('int64_ops', `{"inputs": [{"name": "ids", "datatype": "INT64", "shape": [2, 2], "data": ${mixed}}], "outputs": [{"name": "doubled"}]}`);
  expect(res.status).toBe(200);
  expect(res.text).toContain(`"data":[${(expected.doubled.values as bigint[]).join(',')}]`);
  expect(asBigInts((parseJson(res.text) as { outputs: { data: unknown }[] }).outputs[0].data)).toEqual(expected.doubled.values);
});

it('refuses integers out of range for the datatype, naming the tensor and element', async () => {
  const cases: [string, string, string, string][] = [
    ['identity_int64', 'INT64', '[0, 9223372036854775808]', 'element 1'],
    ['identity_int64', 'INT64', '[-9223372036854775809, 0]', 'element 0'],
    ['identity_uint64', 'UINT64', '[18446744073709551616, 0]', 'element 0'],
    ['identity_uint64', 'UINT64', '[0, -1]', 'element 1'],
    ['identity_int32', 'INT32', '[1, 9007199254740993]', 'element 1'],
  ];
  for (const [model, datatype, data, element] of cases) {
    const res = await infer(model, inputBody('x', datatype, [1, 2], data));
    expect({ model, data, status: res.status }).toEqual({ model, data, status: 400 });
    const { error } = JSON.parse(res.text);
    expect(error).toContain("'x'");
    expect(error).toContain(element);
    expect(error).toContain('out of range');
  }
});

it('a body over max_message_bytes is still refused when it holds big integers', async () => {
  const count = Math.ceil(MAX_MESSAGE_BYTES / 17) + 1;
  const data = `[${Array.from({ length: count }, () => '9007199254740993').join(',')}]`;
  const res = await infer('identity_int64', inputBody('x', 'INT64', [1, count], data));
  // Answered, and the connection (whose unread body is discarded) is closed.
  expect(res).toMatchObject({ status: 413, connection: 'close' });
  expect(JSON.parse(res.text).error).toContain('max_message_bytes');
});
