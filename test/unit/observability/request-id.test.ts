/** Request ids: which incoming ids are used as they are, and the ids made for the rest. */
import * as grpc from '@grpc/grpc-js';
import {
  MAX_REQUEST_ID_LENGTH,
  acceptRequestId,
  isValidRequestId,
  itemRequestId,
  newRequestId,
  requestIdMetadata,
  requestIdOf,
} from '../../../src/observability';

describe('isValidRequestId', () => {
  it('takes 1 to 128 visible ASCII characters', () => {
    for (const id of ['a', 'req-42', 'b7f3c2e0-4a1d-4c8e-9f00-0123456789ab', '!~{}[]:/=+', 'x'.repeat(MAX_REQUEST_ID_LENGTH)]) {
      expect(isValidRequestId(id)).toBe(true);
    }
  });

  it('refuses empty, too long, spaces, control characters and non-ASCII', () => {
    for (const id of ['', 'x'.repeat(MAX_REQUEST_ID_LENGTH + 1), 'has space', 'tab\there', 'line\nbreak', 'nul\0', 'del\x7f', 'café', '🙂', '"quoted"\r\n{"level":"error"}']) {
      expect(isValidRequestId(id)).toBe(false);
    }
  });
});

describe('newRequestId', () => {
  it('makes unique, valid ids sharing this process prefix', () => {
    const ids = Array.from({ length: 10_000 }, () => newRequestId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 100)) expect(isValidRequestId(id)).toBe(true);
    const prefix = (id: string) => id.slice(0, id.lastIndexOf('-'));
    expect(new Set(ids.map(prefix)).size).toBe(1);
    expect(prefix(ids[0])).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('acceptRequestId', () => {
  it('keeps a valid id and replaces a missing or invalid one with a new id', () => {
    expect(acceptRequestId('req-1')).toBe('req-1');
    for (const bad of [undefined, '', 'two words', 'é'.repeat(3), 'x'.repeat(500)]) {
      const id = acceptRequestId(bad);
      expect(id).not.toBe(bad);
      expect(isValidRequestId(id)).toBe(true);
    }
  });
});

describe('requestIdOf (a gRPC call)', () => {
  const md = (...ids: string[]) => {
    const m = new grpc.Metadata();
    for (const id of ids) m.add('x-request-id', id);
    return m;
  };

  it('uses a valid x-request-id before the message id', () => {
    expect(requestIdOf(md('from-header'), 'from-message')).toBe('from-header');
  });

  it('falls back to a valid message id, then to a new id', () => {
    expect(requestIdOf(md(), 'from-message')).toBe('from-message');
    expect(requestIdOf(md('bad id'), 'from-message')).toBe('from-message');
    const made = requestIdOf(md('bad id'), 'bad too');
    expect(made).not.toMatch(/bad/);
    expect(isValidRequestId(made)).toBe(true);
  });

  it('does not use an id sent twice', () => {
    const id = requestIdOf(md('one', 'two'));
    expect(['one', 'two']).not.toContain(id);
  });

  it('decides once per call: later askers get the same id, whatever message id they bring', () => {
    const m = md();
    const first = requestIdOf(m);
    expect(requestIdOf(m, 'late-message-id')).toBe(first);
    expect(requestIdOf(m)).toBe(first);
  });

  it('builds the metadata that returns it', () => {
    expect(requestIdMetadata('abc').get('x-request-id')).toEqual(['abc']);
  });
});

describe('itemRequestId (a stream item)', () => {
  it("uses the item's own valid id, else the stream's", () => {
    expect(itemRequestId('item-7', 'stream-1')).toBe('item-7');
    expect(itemRequestId('', 'stream-1')).toBe('stream-1');
    expect(itemRequestId(undefined, 'stream-1')).toBe('stream-1');
    expect(itemRequestId('bad id', 'stream-1')).toBe('stream-1');
  });
});
