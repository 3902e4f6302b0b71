/**
 * ModelStreamInfer (Triton's bidirectional extension) through the independent client: 1,000 requests on one
 * stream, every id answered exactly once with the right result, one bad request in the middle answered with an
 * error_message carrying its id while the stream goes on.
 */
import { once } from 'node:events';
import { TestServer, startTestServer } from '../../helpers/test-server';
import { Message, OipClient } from './oip-client';
import { fp32Bytes, fp32FromBytes, makeOipRepository } from './oip-fixtures';

let ts: TestServer;
let client: OipClient;

beforeAll(async () => {
  ts = await startTestServer(await makeOipRepository(false, [{ model: 'scale' }]), { stream_window: 16 });
  client = new OipClient(ts.address);
});

afterAll(async () => {
  client.close();
  await ts.stop();
});

it('answers each of 1,000 requests exactly once; a bad one gets an error_message and the stream goes on', async () => {
  const total = 1000;
  const bad = 500;
  const stream = client.stream();
  const answers = new Map<string, Message[]>();
  stream.on('data', (m: Message) => {
    const id = m.infer_response?.id ?? '';
    answers.set(id, [...(answers.get(id) ?? []), m]);
  });
  const ended = once(stream, 'end');
  for (let i = 0; i < total; i++) {
    const request =
      i === bad
        ? { model_name: 'scale', id: `r${i}`, inputs: [{ name: 'not_an_input', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [fp32Bytes([0, 0, 0, 0])] }
        : { model_name: 'scale', id: `r${i}`, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [fp32Bytes([i, i, i, i])] };
    // Respect flow control: wait while the transport's buffer is full.
    if (!stream.write(request)) await once(stream, 'drain');
  }
  stream.end();
  await ended;

  expect(answers.size).toBe(total);
  for (let i = 0; i < total; i++) {
    const got = answers.get(`r${i}`);
    expect(got).toHaveLength(1);
    const [answer] = got!;
    if (i === bad) {
      expect(answer.error_message).toContain(`r${bad}`);
      expect(answer.error_message).toContain('AMAAS_ERR_INPUT_UNKNOWN');
    } else {
      expect(answer.error_message).toBe('');
      expect(answer.infer_response.model_version).toBe('1');
      expect(fp32FromBytes(answer.infer_response.raw_output_contents[0])).toEqual([2 * i + 1, 2 * i + 1, 2 * i + 1, 2 * i + 1]);
    }
  }
});
