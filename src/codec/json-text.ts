/**
 * JSON text <-> values, with integers kept exact at any size: the REST binding and the CLI read and write
 * tensors through here, so an INT64 of 2^53+1 written as a plain JSON integer arrives as 9007199254740993n and
 * a bigint goes out as a plain JSON integer. Everything else reads and writes as JSON.parse/JSON.stringify do.
 */
import { parse as parseLossless } from 'lossless-json';

/**
 * A run of 16 or more digits that starts a number's integer part (not a fraction or exponent). Every integer
 * literal beyond 2^53 has one; text without one is parsed by JSON.parse, which is then exact, at native speed.
 * A false hit (such digits inside a string) only costs the slower, equally correct parser.
 */
const LONG_INTEGER_PART = /(?:^|[^0-9.eE+])-?[0-9]{16}/;
const INTEGER_LITERAL = /^-?[0-9]+$/;

/** A JSON number: a number, except an integer literal that a double cannot hold exactly, which is a bigint. */
function parseNumber(text: string): number | bigint {
  const n = Number(text);
  if (!Number.isInteger(n) || Number.isSafeInteger(n) || !INTEGER_LITERAL.test(text)) return n;
  return BigInt(text);
}

/**
 * Parses JSON text like JSON.parse (a repeated key: the last one wins), except that integer literals beyond
 * ±(2^53-1) come back as bigint, exactly. Numbers with a fraction or an exponent stay numbers. Throws a
 * SyntaxError for text that is not JSON.
 */
export function parseJson(text: string): unknown {
  if (!LONG_INTEGER_PART.test(text)) return JSON.parse(text);
  return parseLossless(text, null, { parseNumber, onDuplicateKey: ({ newValue }) => newValue });
}

/**
 * Serializes plain data like JSON.stringify (no spacing), except that bigints are written as exact JSON
 * integers. Arrays of numbers, strings or booleans go to JSON.stringify whole, and arrays of bigints are
 * joined, so a large tensor costs one pass, not one call per element.
 */
export function stringifyJson(value: unknown): string {
  return write(value, '') ?? 'null';
}

function write(value: unknown, key: string): string | undefined {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return write(toJSON.call(value, key), key);
  if (Array.isArray(value)) return writeArray(value);
  const parts: string[] = [];
  for (const k of Object.keys(value)) {
    const text = write((value as Record<string, unknown>)[k], k);
    if (text !== undefined) parts.push(`${JSON.stringify(k)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

function writeArray(items: readonly unknown[]): string {
  let flat = true;
  let allBigInt = true;
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    if (typeof v === 'bigint') {
      flat = false;
    } else {
      allBigInt = false;
      if (typeof v === 'object' && v !== null) flat = false;
    }
  }
  if (flat) return JSON.stringify(items);
  // A bigint's string form is its exact decimal digits.
  if (allBigInt) return `[${items.join(',')}]`;
  const parts = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) parts[i] = write(items[i], String(i)) ?? 'null';
  return `[${parts.join(',')}]`;
}
