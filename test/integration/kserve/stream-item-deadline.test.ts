/**
 * Stream items with deadlines of their own (issue 11, item 4), on a real server and real clients. The model's
 * one worker is held (test/helpers/worker-hold.ts), so one stream offers far more than the server can run and
 * the queue builds the same way on any machine. With stream_item_timeout_ms 500, every item still queued at its
 * time is answered DEADLINE_EXCEEDED in-band, at once, while the worker is still held (so it never reached a
 * worker); every item is answered exactly once and the stream stays open. One test offers real overload with
 * no hold: a slow model, a window of 256 items; there every item is answered once, OK or refused in-band, and
 * none long after its time. Time bounds only catch hangs.
 */
import * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import { loadProto } from '../../../src/api/protos';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { until } from '../../helpers/until';
import { WorkerHold } from '../../helpers/worker-hold';
import { Message, OipClient } from './oip-client';
import { fp32Bytes, fp32FromBytes, makeOipRepository } from './oip-fixtures';

const ITEM_TIMEOUT_MS = 500;
/** Only a hang takes this long past an item's timeout. */
const HANG_MS = 10_000;
const QUEUED = 24;
const WINDOW = 256;
const MODELS = ['overload', 'own_timeout', 'bad_parameters', 'batch_predict', 'sdk_batch'];

const hold = new WorkerHold();
let ts: TestServer;
let client: OipClient;

beforeAll(async () => {
  hold.install();
  // One model per test, so each starts with a cold drain estimate: admission lets everything in, and the held
  // runs one test teaches it do not refuse the next test's items. One worker; batches of at most 32 rows, so the
  // queued one-row items stay in the scheduler's queue.
  const config = { instances: 1, max_batch_size: 32 };
  const repo = await makeOipRepository(false, [
    ...MODELS.map((name) => ({ model: 'scale', name, config })),
    // Unbatched, one single-thread worker, 64-row requests: a queue of a few hundred is seconds of work.
    { model: 'slow_mlp', name: 'slow', config: { instances: 1, intra_op_threads: 1, max_batch_size: 0 } },
  ]);
  ts = await startTestServer(repo, { stream_item_timeout_ms: ITEM_TIMEOUT_MS, stream_window: WINDOW });
  client = new OipClient(ts.address);
});

afterAll(async () => {
  hold.release();
  client?.close();
  await ts?.stop();
  hold.cleanup();
});

afterEach(() => hold.release());

function request(model: string, id: string, value: number, parameters?: Record<string, unknown>): Message {
  return {
    model_name: model,
    id,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }],
    raw_input_contents: [fp32Bytes([value, value, value, value])],
    ...(parameters ? { parameters } : {}),
  };
}

interface Answer {
  readonly message: Message;
  readonly at: number;
}

/** A ModelStreamInfer stream that records every answer by id and when it came. */
function openStream() {
  const stream = client.stream();
  const answers = new Map<string, Answer[]>();
  const sentAt = new Map<string, number>();
  stream.on('data', (m: Message) => {
    const id = m.infer_response?.id ?? '';
    answers.set(id, [...(answers.get(id) ?? []), { message: m, at: Date.now() }]);
  });
  return {
    stream,
    answers,
    sentAt,
    send(m: Message) {
      sentAt.set(m.id, Date.now());
      stream.write(m);
    },
  };
}

it('answers every queued item past its timeout DEADLINE_EXCEEDED in-band, without running it, and the stream goes on', async () => {
  hold.hold();
  const s = openStream();
  s.send(request('overload', 'running', 1));
  await hold.waitHeld(1);
  for (let i = 0; i < QUEUED; i++) s.send(request('overload', `q${i}`, i));

  await until(() => [...s.answers.keys()].filter((id) => id.startsWith('q')).length === QUEUED, 'every queued item answered', ITEM_TIMEOUT_MS + HANG_MS);
  // Answered while the one run is still held: none of them reached a worker.
  expect(hold.held()).toBe(1);
  expect(s.answers.has('running')).toBe(false);
  for (let i = 0; i < QUEUED; i++) {
    const got = s.answers.get(`q${i}`)!;
    expect(got).toHaveLength(1);
    expect(got[0].message.error_message).toContain('AMAAS_ERR_DEADLINE_EXCEEDED');
    expect(got[0].message.error_message).toContain(`[request id: q${i}]`);
    const waited = got[0].at - s.sentAt.get(`q${i}`)!;
    // Not before its time (the server reads an item after the client sent it), and not long after.
    expect(waited).toBeGreaterThanOrEqual(ITEM_TIMEOUT_MS - 1);
    expect(waited).toBeLessThan(ITEM_TIMEOUT_MS + HANG_MS);
  }

  // The running item is not cut off: it is answered when its run ends.
  hold.release();
  await until(() => s.answers.has('running'), 'the held item answered');
  expect(s.answers.get('running')![0].message.error_message).toBe('');

  // The stream is still open: a new item runs, and its own timeout parameter (60 s in µs) is read.
  s.send(request('overload', 'after', 5, { timeout: { int64_param: 60_000_000 } }));
  await until(() => s.answers.has('after'), 'the item sent after the timeouts answered');
  const after = s.answers.get('after')![0].message;
  expect(after.error_message).toBe('');
  expect(fp32FromBytes(after.infer_response.raw_output_contents[0])).toEqual([11, 11, 11, 11]);

  const ended = once(s.stream, 'end');
  s.stream.end();
  await ended;
  // Exactly one answer per item, no more.
  expect(s.answers.size).toBe(QUEUED + 2);
  for (const got of s.answers.values()) expect(got).toHaveLength(1);
});

it('under real overload (no hold) answers every item once, OK or refused in-band, none long after its timeout', async () => {
  const total = 400;
  const x = fp32Bytes(Float32Array.from({ length: 64 * 512 }, (_, i) => ((i % 13) - 6) / 6));
  const slowItem = (id: string): Message => ({ model_name: 'slow', id, inputs: [{ name: 'x', datatype: 'FP32', shape: [64, 512] }], raw_input_contents: [x] });
  const s = openStream();
  for (let i = 0; i < total; i++) {
    s.sentAt.set(`o${i}`, Date.now());
    const ok = s.stream.write(slowItem(`o${i}`));
    // Flow control: the server stops reading at stream_window items in flight.
    if (!ok) await once(s.stream, 'drain');
  }
  await until(() => s.answers.size === total, 'every item answered', 120_000);
  const codes = new Map<string, number>();
  for (const [id, got] of s.answers) {
    expect(got).toHaveLength(1);
    const m = got[0].message;
    const code = m.error_message === '' ? 'OK' : /AMAAS_ERR_[A-Z_]+/.exec(m.error_message)![0];
    codes.set(code, (codes.get(code) ?? 0) + 1);
    // Queued past its time it is answered then; one already running finishes its run (well under HANG_MS).
    expect(got[0].at - s.sentAt.get(id)!).toBeLessThan(ITEM_TIMEOUT_MS + HANG_MS);
  }
  // Late items are answered DEADLINE_EXCEEDED (they ran out of time queued) or, once the server has learnt
  // how long a run takes, refused at admission as overload; nothing else.
  expect([...codes.keys()].filter((c) => !['OK', 'AMAAS_ERR_DEADLINE_EXCEEDED', 'AMAAS_ERR_OVERLOADED'].includes(c))).toEqual([]);
  expect(codes.get('OK')).toBeGreaterThan(0);
  // And the stream is still open (this item with a 60 s timeout of its own, so admission lets it in).
  s.send({ ...slowItem('still-open'), parameters: { timeout: { int64_param: 60_000_000 } } });
  await until(() => s.answers.has('still-open'), 'an item after the overload answered');
  expect(s.answers.get('still-open')![0].message.error_message).toBe('');
  s.stream.end();
  await once(s.stream, 'end');
});

it("an item's own timeout parameter replaces stream_item_timeout_ms", async () => {
  hold.hold();
  const s = openStream();
  s.send(request('own_timeout', 'running', 1));
  await hold.waitHeld(1);
  s.send(request('own_timeout', 'patient', 2, { timeout: { uint64_param: 120_000_000 } }));
  s.send(request('own_timeout', 'default', 3));
  await until(() => s.answers.has('default'), 'the item without a timeout of its own answered', ITEM_TIMEOUT_MS + HANG_MS);
  expect(s.answers.get('default')![0].message.error_message).toContain('AMAAS_ERR_DEADLINE_EXCEEDED');
  // Still waiting: its own 120 s hold it in the queue.
  expect(s.answers.has('patient')).toBe(false);
  hold.release();
  await until(() => s.answers.has('patient') && s.answers.has('running'), 'the patient item answered');
  expect(s.answers.get('patient')![0].message.error_message).toBe('');
  s.stream.end();
  await once(s.stream, 'end');
});

it('answers a bad timeout parameter INVALID_ARGUMENT in-band', async () => {
  const s = openStream();
  s.send(request('bad_parameters', 'bad', 1, { timeout: { string_param: 'soon' } }));
  s.send(request('bad_parameters', 'bad-priority', 1, { priority: { string_param: 'urgent' } }));
  s.send(request('bad_parameters', 'prioritised', 1, { priority: { int64_param: 1 } }));
  await until(() => s.answers.size === 3, 'three answers');
  expect(s.answers.get('bad')![0].message.error_message).toContain("AMAAS_ERR_INVALID_REQUEST: parameter 'timeout'");
  expect(s.answers.get('bad-priority')![0].message.error_message).toContain("parameter 'priority'");
  expect(s.answers.get('prioritised')![0].message.error_message).toBe('');
  s.stream.end();
  await once(s.stream, 'end');
});

describe('BatchPredict', () => {
  interface Item {
    id: string;
    status: { code: number; message: string; error_code: string };
  }

  it('answers a queued item past its timeout_ms DEADLINE_EXCEEDED in its status, and runs the rest', async () => {
    const pkg = loadProto('amaas/v1/inference.proto') as unknown as { amaas: { v1: { InferenceService: grpc.ServiceClientConstructor } } };
    const raw = new pkg.amaas.v1.InferenceService(ts.address, grpc.credentials.createInsecure());
    const x = { name: 'x', datatype: 'DATA_TYPE_FP32', shape: [1, 4], raw_contents: fp32Bytes([1, 2, 3, 4]) };
    const item = (id: string, timeoutMs = 0) => ({ request: { model_name: 'batch_predict', id, inputs: [x] }, timeout_ms: timeoutMs });
    hold.hold();
    const stream = raw.BatchPredict() as grpc.ClientDuplexStream<unknown, Item>;
    const answers = new Map<string, Item[]>();
    stream.on('data', (m: Item) => answers.set(m.id, [...(answers.get(m.id) ?? []), m]));
    stream.write(item('running'));
    await hold.waitHeld(1);
    // Its own 100 ms, shorter than the server's 500.
    stream.write(item('short', 100));
    await until(() => answers.has('short'), 'the short item answered', 100 + HANG_MS);
    expect(answers.get('short')![0].status).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED, error_code: 'AMAAS_ERR_DEADLINE_EXCEEDED' });
    expect(hold.held()).toBe(1);
    hold.release();
    stream.write(item('after'));
    await until(() => answers.has('running') && answers.has('after'), 'the other items answered');
    expect(answers.get('running')![0].status.code).toBe(grpc.status.OK);
    expect(answers.get('after')![0].status.code).toBe(grpc.status.OK);
    stream.end();
    await once(stream, 'end');
    for (const got of answers.values()) expect(got).toHaveLength(1);
    raw.close();
  });

  it("through the SDK: BatchItem.timeoutMs is the item's own timeout, and priority is accepted", async () => {
    const inputs = { x: { data: Float32Array.of(1, 2, 3, 4), dims: [1, 4] } };
    hold.hold();
    async function* items() {
      yield { id: 'running', model: 'sdk_batch', inputs };
      await hold.waitHeld(1);
      yield { id: 'short', model: 'sdk_batch', inputs, timeoutMs: 100, priority: 'low' as const };
    }
    const results: { id: string; ok: boolean; errorCode?: string }[] = [];
    for await (const r of ts.client.batchPredict(items())) {
      results.push(r.ok ? { id: r.id, ok: true } : { id: r.id, ok: false, errorCode: r.errorCode });
      // The short item is answered while the other still runs held; then let that one finish.
      if (r.id === 'short') hold.release();
    }
    expect(results).toEqual([
      { id: 'short', ok: false, errorCode: 'AMAAS_ERR_DEADLINE_EXCEEDED' },
      { id: 'running', ok: true },
    ]);
    const low = await ts.client.predict('sdk_batch', inputs, { priority: 'low' });
    expect(low.outputs.y.dims).toEqual([1, 4]);
  });
});
