import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { AmaasError, ErrorCode, ErrorCodes, toAmaasError } from '../../../src/errors';
import { ERROR_CODE_METADATA_KEY, GRPC_STATUS_BY_CODE, statusOf, toServiceError } from '../../../src/api/status-map';

/** dist/test/unit/errors -> repository root. */
const DOC_PATH = path.resolve(__dirname, '..', '..', '..', '..', 'docs', 'errors.md');

interface DocSection {
  readonly code: string;
  readonly body: string;
}

function parseDoc(text: string): DocSection[] {
  const sections: DocSection[] = [];
  const parts = text.split(/^## /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    const heading = (newline < 0 ? part : part.slice(0, newline)).trim();
    sections.push({ code: heading, body: newline < 0 ? '' : part.slice(newline + 1) });
  }
  return sections;
}

const codes = Object.keys(ErrorCodes) as ErrorCode[];
const statusName = (s: grpc.status): string => grpc.status[s];

describe('error catalogue', () => {
  const docText = fs.readFileSync(DOC_PATH, 'utf8');
  const sections = parseDoc(docText);
  const byCode = new Map(sections.map((s) => [s.code, s]));

  it('has codes whose values equal their keys', () => {
    expect(codes.length).toBeGreaterThan(0);
    for (const code of codes) expect(ErrorCodes[code]).toBe(code);
  });

  it('has codes that all start with AMAAS_ERR_ and are unique', () => {
    for (const code of codes) expect(code).toMatch(/^AMAAS_ERR_[A-Z_]+$/);
    expect(new Set(Object.values(ErrorCodes)).size).toBe(codes.length);
  });

  it('maps every code to a gRPC status', () => {
    for (const code of codes) {
      const status = GRPC_STATUS_BY_CODE[code];
      expect(typeof status).toBe('number');
      expect(statusName(status)).toBeDefined();
    }
    // and nothing else
    expect(Object.keys(GRPC_STATUS_BY_CODE).sort()).toEqual([...codes].sort());
  });

  it('never maps a code to OK or UNKNOWN', () => {
    for (const code of codes) {
      expect(GRPC_STATUS_BY_CODE[code]).not.toBe(grpc.status.OK);
      expect(GRPC_STATUS_BY_CODE[code]).not.toBe(grpc.status.UNKNOWN);
    }
  });

  it('parses one section per heading', () => {
    expect(sections.length).toBe((docText.match(/^## /gm) ?? []).length);
    expect(sections.length).toBeGreaterThanOrEqual(codes.length);
  });

  it('documents every code in docs/errors.md with exactly one section', () => {
    for (const code of codes) {
      const matching = sections.filter((s) => s.code === code);
      expect({ code, sections: matching.length }).toEqual({ code, sections: 1 });
    }
  });

  it('names, for every code, the gRPC status the table maps it to', () => {
    for (const code of codes) {
      const section = byCode.get(code);
      expect(section).toBeDefined();
      const lines = section!.body.match(/^gRPC status: `?([A-Z_]+)`?\s*$/gm) ?? [];
      expect({ code, statusLines: lines.length }).toEqual({ code, statusLines: 1 });
      const documented = /^gRPC status: `?([A-Z_]+)`?\s*$/m.exec(section!.body)![1];
      expect({ code, status: documented }).toEqual({ code, status: statusName(GRPC_STATUS_BY_CODE[code]) });
    }
  });

  it('says for every code when it happens and what to do', () => {
    for (const code of codes) {
      const body = byCode.get(code)!.body;
      expect({ code, when: /\*\*When:\*\*\s+\S/.test(body) }).toEqual({ code, when: true });
      expect({ code, todo: /\*\*What to do:\*\*\s+\S/.test(body) }).toEqual({ code, todo: true });
    }
  });

  it('has no section for a code that does not exist', () => {
    const known = new Set<string>(codes);
    for (const s of sections) expect({ heading: s.code, known: known.has(s.code) }).toEqual({ heading: s.code, known: true });
  });

  it('explains in its intro where the code travels', () => {
    const intro = docText.split(/^## /m)[0];
    expect(intro).toContain('amaas-error-code');
    expect(intro).toContain('BatchPredict');
    expect(intro.toLowerCase()).toContain('stable');
  });
});

describe('toServiceError', () => {
  it('puts the code in trailing metadata, the message in details and the mapped status in code', () => {
    // AMAAS_ERR_INTERNAL is logged with its stack; keep the test output clean.
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    for (const code of codes) {
      const err = toServiceError(new AmaasError(code, `something about ${code}`));
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(GRPC_STATUS_BY_CODE[code]);
      expect(err.details).toBe(`something about ${code}`);
      expect(err.message).toBe(`something about ${code}`);
      expect(err.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual([code]);
    }
    stderr.mockRestore();
  });

  it('uses the documented metadata key', () => {
    expect(ERROR_CODE_METADATA_KEY).toBe('amaas-error-code');
  });

  it('turns a plain Error into AMAAS_ERR_INTERNAL, keeping its message', () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const err = toServiceError(new TypeError('boom'));
      expect(err.code).toBe(grpc.status.INTERNAL);
      expect(err.details).toBe('boom');
      expect(err.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(['AMAAS_ERR_INTERNAL']);
    } finally {
      stderr.mockRestore();
    }
  });

  it('turns thrown non-Error values into AMAAS_ERR_INTERNAL', () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (const thrown of ['a string', 42, undefined, null, { some: 'object' }]) {
        const err = toServiceError(thrown);
        expect(err.code).toBe(grpc.status.INTERNAL);
        expect(err.details).toBe(String(thrown));
        expect(err.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(['AMAAS_ERR_INTERNAL']);
      }
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('toAmaasError / statusOf', () => {
  it('returns an AmaasError unchanged', () => {
    const e = new AmaasError('AMAAS_ERR_QUEUE_FULL', 'full');
    expect(toAmaasError(e)).toBe(e);
    expect(e.name).toBe('AmaasError');
    expect(e.code).toBe('AMAAS_ERR_QUEUE_FULL');
  });

  it('wraps other values as AMAAS_ERR_INTERNAL with the original as cause', () => {
    const original = new RangeError('out of range');
    const e = toAmaasError(original);
    expect(e).toBeInstanceOf(AmaasError);
    expect(e.code).toBe('AMAAS_ERR_INTERNAL');
    expect(e.message).toBe('out of range');
    expect(e.cause).toBe(original);
    expect(toAmaasError('text').message).toBe('text');
  });

  it('reports code, details and error code for a catalogued error', () => {
    expect(statusOf(new AmaasError('AMAAS_ERR_MODEL_NOT_FOUND', 'no model'))).toEqual({
      code: grpc.status.NOT_FOUND,
      details: 'no model',
      errorCode: 'AMAAS_ERR_MODEL_NOT_FOUND',
    });
  });
});
