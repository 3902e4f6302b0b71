import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { AmaasError } from '../../../src/errors';
import {
  LISTED_NAMES,
  MAX_MESSAGE_CHARS,
  SHOWN_CHARS,
  bounded,
  excerpt,
  listed,
  quoted,
  relativeTo,
  shapeText,
} from '../../../src/errors-format';
import { statusOf, toServiceError } from '../../../src/api/status-map';
import { httpErrorOf } from '../../../src/api/http-status-map';

describe('quoted', () => {
  it('quotes a name of up to SHOWN_CHARS characters as it is', () => {
    expect(SHOWN_CHARS).toBe(128);
    expect(quoted('scale')).toBe("'scale'");
    expect(quoted('')).toBe("''");
    const longest = 'n'.repeat(SHOWN_CHARS);
    expect(quoted(longest)).toBe(`'${longest}'`);
  });

  it('shows the first SHOWN_CHARS characters of a longer name and says it was cut', () => {
    const name = 'a'.repeat(SHOWN_CHARS) + 'b'.repeat(65536 - SHOWN_CHARS);
    expect(quoted(name)).toBe(`'${'a'.repeat(SHOWN_CHARS)}…' (cut at 128 of 65536 characters)`);
    expect(quoted('x'.repeat(SHOWN_CHARS + 1))).toBe(`'${'x'.repeat(SHOWN_CHARS)}…' (cut at 128 of 129 characters)`);
  });

  it('counts and cuts characters, never half of a surrogate pair', () => {
    // 128 emoji are 256 UTF-16 units: still not cut.
    const emoji = '😀'.repeat(SHOWN_CHARS);
    expect(quoted(emoji)).toBe(`'${emoji}'`);
    const shown = quoted('😀'.repeat(SHOWN_CHARS + 5));
    expect(shown).toBe(`'${emoji}…' (cut at 128 of 133 characters)`);
    expect(shown).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });
});

describe('excerpt and shapeText', () => {
  it('cut like quoted, without the quotes', () => {
    expect(excerpt('FP33')).toBe('FP33');
    expect(excerpt('z'.repeat(1000))).toBe(`${'z'.repeat(SHOWN_CHARS)}… (cut at 128 of 1000 characters)`);
  });

  it('shows a shape, and cuts one of thousands of dimensions', () => {
    expect(shapeText([2, -1, 4])).toBe('[2,-1,4]');
    expect(shapeText([])).toBe('[]');
    const huge = shapeText(new Array(5000).fill(1));
    expect(huge.startsWith('[1,1,1')).toBe(true);
    expect(huge).toMatch(/… \(cut at 128 of 10001 characters\)$/);
  });
});

describe('listed', () => {
  it('joins names, and says none for an empty list', () => {
    expect(listed(['x', 'y'])).toBe('x, y');
    expect(listed([1, 2, 3])).toBe('1, 2, 3');
    expect(listed([])).toBe('none');
    expect(listed(['a', 'b'], quoted)).toBe("'a', 'b'");
  });

  it('shows at most LISTED_NAMES names, then how many there are in all', () => {
    const names = Array.from({ length: 1000 }, (_, i) => `model_${i}`);
    const text = listed(names);
    expect(text.split(', ').length).toBe(LISTED_NAMES + 1);
    expect(text).toMatch(/^model_0, model_1, .*model_15, … \(1000 in all\)$/);
  });

  it('cuts each long name', () => {
    expect(listed(['q'.repeat(500)])).toBe(`${'q'.repeat(SHOWN_CHARS)}… (cut at 128 of 500 characters)`);
  });
});

describe('relativeTo', () => {
  const dir = path.join('/srv', 'models', 'scale');

  it('shows paths under the folder relative to it, and the folder itself as .', () => {
    expect(relativeTo(`Load model from ${dir}/1/model.onnx failed: bad`, dir)).toBe('Load model from 1/model.onnx failed: bad');
    expect(relativeTo(`open '${dir}/config.yaml', then '${dir}/2/warmup/a.json'`, dir)).toBe("open 'config.yaml', then '2/warmup/a.json'");
    expect(relativeTo(`scandir '${dir}'`, dir)).toBe("scandir '.'");
    expect(relativeTo(`in ${dir}/1/model.onnx`, `${dir}/`)).toBe('in 1/model.onnx');
  });

  it('leaves a longer name that merely starts with the folder, and other text, alone', () => {
    expect(relativeTo(`${dir}_v2/1/model.onnx and ${dir}2/x`, dir)).toBe(`${dir}_v2/1/model.onnx and ${dir}2/x`);
    expect(relativeTo('nothing to see', dir)).toBe('nothing to see');
    expect(relativeTo('a (b) [c]', '/tmp/a (b) [c]')).toBe('a (b) [c]');
    expect(relativeTo('at /tmp/a (b) [c]/model.onnx', '/tmp/a (b) [c]')).toBe('at model.onnx');
  });
});

describe('bounded: the last bound where a message leaves the server', () => {
  it('keeps a message up to MAX_MESSAGE_CHARS and cuts a longer one, saying so', () => {
    expect(bounded('short')).toBe('short');
    const long = 'm'.repeat(MAX_MESSAGE_CHARS * 4);
    expect(bounded(long)).toBe(`${'m'.repeat(MAX_MESSAGE_CHARS)}… (cut at ${MAX_MESSAGE_CHARS} of ${MAX_MESSAGE_CHARS * 4} characters)`);
  });

  it('bounds gRPC details and HTTP error bodies, whatever message an error was built with', () => {
    const err = new AmaasError('AMAAS_ERR_INVALID_REQUEST', `something about ${'w'.repeat(100_000)}`);
    const s = statusOf(err);
    expect(s.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(s.details.length).toBeLessThan(MAX_MESSAGE_CHARS + 100);
    expect(s.details.startsWith('something about www')).toBe(true);
    expect(toServiceError(err).details).toBe(s.details);
    const h = httpErrorOf(err);
    expect(h.status).toBe(400);
    expect(h.body.error).toBe(s.details);
  });
});
