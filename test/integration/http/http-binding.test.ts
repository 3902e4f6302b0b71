/**
 * The Open Inference Protocol's HTTP/REST binding: the curl examples of docs/protocols.md run literally
 * (only the port substituted) against a server on examples/models and print the documented JSON; then status
 * codes, nested and flat data, and outputs equal to onnxruntime run directly.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseJson } from '../../../src/codec/json-text';
import { EXAMPLE_REPOSITORY, PACKAGE_ROOT } from '../../../src/paths';
import { modelPath } from '../../helpers/model-repository';
import { releaseDirectSessions, runDirect } from '../../helpers/ort-direct';
import { TestServer, startTestServer } from '../../helpers/test-server';

const run = promisify(execFile);
const DOC = path.join(PACKAGE_ROOT, 'docs', 'protocols.md');
const DOC_PORT = '8000';

let ts: TestServer;
let base: string;

beforeAll(async () => {
  ts = await startTestServer(EXAMPLE_REPOSITORY, { http_port: 0 });
  base = `http://127.0.0.1:${ts.server.httpPort}`;
});

afterAll(async () => {
  await ts.stop();
  await releaseDirectSessions();
});

/** Every ```sh block that runs curl, with the ```json block that follows it. */
function documentedExamples(): { command: string; expected: unknown }[] {
  const blocks = [...fs.readFileSync(DOC, 'utf8').matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));
  const examples: { command: string; expected: unknown }[] = [];
  blocks.forEach((b, i) => {
    if (b.lang === 'sh' && b.text.trim().startsWith('curl') && blocks[i + 1]?.lang === 'json') {
      // parseJson: integers beyond 2^53 compare exactly.
      examples.push({ command: b.text.trim(), expected: parseJson(blocks[i + 1].text) });
    }
  });
  return examples;
}

it('the documented curl commands print the documented JSON', async () => {
  const examples = documentedExamples();
  expect(examples.length).toBeGreaterThanOrEqual(9);
  for (const { command, expected } of examples) {
    const literal = command.replaceAll(`127.0.0.1:${DOC_PORT}`, `127.0.0.1:${ts.server.httpPort}`);
    const { stdout } = await run('bash', ['-c', literal], { timeout: 30_000 });
    expect({ command, output: parseJson(stdout) }).toEqual({ command, output: expected });
  }
});

async function request(method: string, urlPath: string, body?: string) {
  const res = await fetch(base + urlPath, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
  return { status: res.status, body: (await res.json()) as any };
}

it('answers with the status of the error table and a JSON error body', async () => {
  const infer = (model: string, body: unknown) => request('POST', `/v2/models/${model}/infer`, JSON.stringify(body));
  const x = { name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] };
  expect(await request('GET', '/v2/models/nope')).toMatchObject({ status: 404, body: { error: expect.stringContaining("'nope'") } });
  expect((await request('GET', '/v2/models/scale/versions/9')).status).toBe(404);
  expect((await request('GET', '/v2/models/nope/ready')).status).toBe(404);
  expect((await infer('nope', { inputs: [x] })).status).toBe(404);
  expect((await request('POST', '/v2/models/scale/infer', '{not json')).status).toBe(400);
  expect((await infer('scale', { inputs: [{ ...x, datatype: 'INT32' }] })).status).toBe(400);
  expect((await infer('scale', { inputs: [{ ...x, data: [1, 2] }] })).status).toBe(400);
  expect((await infer('scale', { inputs: [x], outputs: [{ name: 'nope' }] })).status).toBe(400);
  expect((await request('GET', '/v3/anything')).status).toBe(400);
  expect((await request('DELETE', '/v2/models/scale')).status).toBe(400);
});

it('nested and flat data give outputs equal to onnxruntime run directly', async () => {
  const rows = Array.from({ length: 3 }, (_, r) => Array.from({ length: 64 }, (_, c) => Math.sin(r * 64 + c)));
  const flat = rows.flat();
  const expected = await runDirect(modelPath(EXAMPLE_REPOSITORY, 'mlp'), { x: { type: 'float32', dims: [3, 64], data: Float32Array.from(flat) } });
  for (const data of [rows, flat]) {
    const res = await request('POST', '/v2/models/mlp/infer', JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [3, 64], data }] }));
    expect(res.status).toBe(200);
    expect(res.body.outputs[0].shape).toEqual(expected.logits.dims);
    expect(res.body.outputs[0].data).toEqual(expected.logits.values);
  }
});
