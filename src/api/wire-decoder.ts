/**
 * Request deserializers for the inference RPCs that read the protobuf bytes in one pass, without
 * proto-loader's `Type.decode` + `toObject` (two walks, protobufjs message instances, Long objects).
 *
 * They produce exactly the objects proto-loader hands the handlers with PROTO_LOADER_OPTIONS (snake_case
 * names, int64 as decimal strings, enums as names, defaults set, a virtual field naming the oneof member set),
 * so the handlers and their conversions to InferenceRequest stay as they are. Bytes fields are borrowed from
 * the receive buffer, not copied (the scheduler makes the one copy, job-inputs.ts). The schema is read from
 * the served .proto files (direct-encoding.ts protobufRoot), so every field there is decoded, new ones too.
 *
 * Where protobufjs departs from the protobuf spec, this follows the spec: a repeated occurrence of a message
 * field merges into the first, and setting a oneof member clears the member set before it. A message that is
 * not well formed (truncated, a wire type that does not fit its field, ...) never fails the deserializer:
 * the handler receives an empty message marked malformed and answers INVALID_ARGUMENT (throwIfMalformed).
 */
import type * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import { AmaasError } from '../errors';
import { protobufRoot } from './direct-encoding';
import {
  I32,
  I64,
  LEN,
  MAX_DEPTH,
  VARINT,
  WireFormatError,
  WireReader,
  int64String,
  sint64String,
  uint64String,
} from './wire-reader';

/** Field kinds, by how one value is read. */
const enum Kind {
  Double,
  Float,
  Int32,
  Uint32,
  Sint32,
  Fixed32,
  Sfixed32,
  Int64,
  Uint64,
  Sint64,
  Fixed64,
  Sfixed64,
  Bool,
  String,
  Bytes,
  Enum,
  Message,
}

const KINDS: Record<string, Kind> = {
  double: Kind.Double,
  float: Kind.Float,
  int32: Kind.Int32,
  uint32: Kind.Uint32,
  sint32: Kind.Sint32,
  fixed32: Kind.Fixed32,
  sfixed32: Kind.Sfixed32,
  int64: Kind.Int64,
  uint64: Kind.Uint64,
  sint64: Kind.Sint64,
  fixed64: Kind.Fixed64,
  sfixed64: Kind.Sfixed64,
  bool: Kind.Bool,
  string: Kind.String,
  bytes: Kind.Bytes,
};

function wireTypeOf(kind: Kind): number {
  switch (kind) {
    case Kind.Double:
    case Kind.Fixed64:
    case Kind.Sfixed64:
      return I64;
    case Kind.Float:
    case Kind.Fixed32:
    case Kind.Sfixed32:
      return I32;
    case Kind.String:
    case Kind.Bytes:
    case Kind.Message:
      return LEN;
    default:
      return VARINT;
  }
}

type Decoded = Record<string, unknown>;

interface FieldPlan {
  readonly number: number;
  readonly name: string;
  readonly kind: Kind;
  /** The wire type of one value; repeated scalars may also come packed (LEN). */
  readonly wireType: number;
  readonly repeated: boolean;
  readonly packable: boolean;
  /** The oneof (its virtual field's name) this field is a member of. */
  readonly oneof: string | null;
  /** Enum value names by number; numbers the .proto does not name stay numbers, as with proto-loader. */
  readonly enumNames: Readonly<Record<number, string>> | null;
  /** For messages and map values that are messages (planOf registers a plan before its fields, so types may refer to each other). */
  readonly message: MessagePlan | null;
  /** For map fields: the entry's value (field 2); keys (field 1) are strings. */
  readonly mapValue: FieldPlan | null;
}

interface MessagePlan {
  readonly fullName: string;
  /** Indexed by field number (the served messages use small numbers). */
  readonly byNumber: (FieldPlan | undefined)[];
  readonly fields: readonly FieldPlan[];
}

const EMPTY_BYTES = Buffer.alloc(0);
const plans = new Map<string, MessagePlan>();

function planOf(type: protobuf.Type): MessagePlan {
  const known = plans.get(type.fullName);
  if (known) return known;
  const byNumber: (FieldPlan | undefined)[] = [];
  const fields: FieldPlan[] = [];
  const plan: MessagePlan = { fullName: type.fullName, byNumber, fields };
  plans.set(type.fullName, plan);
  for (const f of type.fieldsArray) {
    const field = fieldPlan(type, f);
    byNumber[f.id] = field;
    fields.push(field);
  }
  return plan;
}

function fieldPlan(type: protobuf.Type, f: protobuf.Field): FieldPlan {
  f.resolve();
  const where = `${type.fullName}.${f.name}`;
  if (f instanceof protobuf.MapField) {
    if (f.keyType !== 'string') throw new Error(`${where}: map keys of type ${f.keyType} are not supported by the request decoder`);
    const value = valuePlan(where, f, 'value', 2, false, null);
    return { number: f.id, name: f.name, kind: Kind.Message, wireType: LEN, repeated: false, packable: false, oneof: null, enumNames: null, message: null, mapValue: value };
  }
  return valuePlan(where, f, f.name, f.id, f.repeated, f.partOf ? f.partOf.name : null);
}

function valuePlan(where: string, f: protobuf.Field, name: string, number: number, repeated: boolean, oneof: string | null): FieldPlan {
  let kind = KINDS[f.type];
  let enumNames: Record<number, string> | null = null;
  let message: MessagePlan | null = null;
  if (kind === undefined) {
    if (f.resolvedType instanceof protobuf.Enum) {
      kind = Kind.Enum;
      enumNames = { ...f.resolvedType.valuesById };
    } else if (f.resolvedType instanceof protobuf.Type) {
      kind = Kind.Message;
      message = planOf(f.resolvedType);
    } else {
      throw new Error(`${where}: type ${f.type} is not supported by the request decoder`);
    }
  }
  const wireType = wireTypeOf(kind);
  return { number, name, kind, wireType, repeated, packable: repeated && wireType !== LEN, oneof, enumNames, message, mapValue: null };
}

/**
 * A message with every field at its default, as proto-loader (defaults: true) gives it; oneof members stay
 * absent. Built property by property in field order, so every message of a type shares one object shape
 * (cloning a template object with spread measured many times slower: its clones do not share transitions).
 */
function createMessage(plan: MessagePlan): Decoded {
  const out: Decoded = {};
  for (const f of plan.fields) {
    if (f.oneof !== null) continue;
    if (f.mapValue !== null) out[f.name] = {};
    else if (f.repeated) out[f.name] = [];
    else out[f.name] = defaultValue(f);
  }
  return out;
}

function defaultValue(f: FieldPlan): unknown {
  switch (f.kind) {
    case Kind.Message:
      return null;
    case Kind.String:
      return '';
    case Kind.Bytes:
      return EMPTY_BYTES;
    case Kind.Bool:
      return false;
    case Kind.Enum:
      return f.enumNames![0] ?? 0;
    case Kind.Int64:
    case Kind.Uint64:
    case Kind.Sint64:
    case Kind.Fixed64:
    case Kind.Sfixed64:
      return '0';
    default:
      return 0;
  }
}

/** One non-message value of `f`, whose wire type has been checked. */
function readValue(r: WireReader, f: FieldPlan, end: number): unknown {
  switch (f.kind) {
    case Kind.String:
      return r.string(end);
    case Kind.Bytes:
      return r.bytes(end);
    case Kind.Int32:
      return r.varint32(end) | 0;
    case Kind.Uint32:
      return r.varint32(end);
    case Kind.Sint32: {
      const n = r.varint32(end);
      return (n >>> 1) ^ -(n & 1);
    }
    case Kind.Enum: {
      const n = r.varint32(end) | 0;
      return f.enumNames![n] ?? n;
    }
    case Kind.Bool:
      r.varint64(end);
      return (r.lo | r.hi) !== 0;
    case Kind.Int64:
      r.varint64(end);
      return int64String(r.lo, r.hi);
    case Kind.Uint64:
      r.varint64(end);
      return uint64String(r.lo, r.hi);
    case Kind.Sint64:
      r.varint64(end);
      return sint64String(r.lo, r.hi);
    case Kind.Fixed32:
      return r.fixed32(end);
    case Kind.Sfixed32:
      return r.fixed32(end) | 0;
    case Kind.Fixed64:
      r.fixed64(end);
      return uint64String(r.lo, r.hi);
    case Kind.Sfixed64:
      r.fixed64(end);
      return int64String(r.lo, r.hi);
    case Kind.Float:
      return r.float(end);
    case Kind.Double:
      return r.double(end);
    default:
      throw new Error(`field ${f.name}: kind ${f.kind} is read as a message`);
  }
}

/** Decodes the fields up to `end` into `into` (a message seen before merges) or a new message. */
function decodeMessage(r: WireReader, end: number, plan: MessagePlan, into: Decoded | null, depth: number): Decoded {
  if (depth > MAX_DEPTH) throw new WireFormatError(`messages nest more than ${MAX_DEPTH} deep`);
  const out = into ?? createMessage(plan);
  while (r.pos < end) {
    const tag = r.tag(end);
    const wireType = tag & 7;
    const f = plan.byNumber[tag >>> 3];
    if (f === undefined) {
      r.skip(wireType, tag >>> 3, end);
      continue;
    }
    try {
      readField(r, end, f, wireType, out, depth);
    } catch (err) {
      if (err instanceof WireFormatError) err.within(f.name);
      throw err;
    }
  }
  return out;
}

function readField(r: WireReader, end: number, f: FieldPlan, wireType: number, out: Decoded, depth: number): void {
  if (f.repeated && f.packable && wireType === LEN) {
    const stop = r.delimited(end);
    const values = out[f.name] as unknown[];
    while (r.pos < stop) values.push(readValue(r, f, stop));
    return;
  }
  if (wireType !== f.wireType) {
    throw new WireFormatError(`field ${f.number} came with wire type ${wireType}, but its type is read with wire type ${f.wireType}`);
  }
  if (f.mapValue !== null) {
    readMapEntry(r, r.delimited(end), f.mapValue, out[f.name] as Decoded, depth);
    return;
  }
  let value: unknown;
  if (f.kind === Kind.Message) {
    const stop = r.delimited(end);
    // A singular message seen again merges into the first (the spec; protobufjs replaces it).
    const seen = f.repeated || (f.oneof !== null && out[f.oneof] !== f.name) ? null : (out[f.name] as Decoded | null | undefined);
    value = decodeMessage(r, stop, f.message!, seen ?? null, depth + 1);
  } else {
    value = readValue(r, f, end);
  }
  if (f.repeated) {
    (out[f.name] as unknown[]).push(value);
    return;
  }
  if (f.oneof !== null) {
    const previous = out[f.oneof];
    if (previous !== undefined && previous !== f.name) delete out[previous as string];
    out[f.oneof] = f.name;
  }
  out[f.name] = value;
}

/** One map entry: key (field 1, a string) and value (field 2), each defaulted when absent. */
function readMapEntry(r: WireReader, end: number, value: FieldPlan, map: Decoded, depth: number): void {
  let key = '';
  let entry: unknown;
  while (r.pos < end) {
    const tag = r.tag(end);
    const wireType = tag & 7;
    const number = tag >>> 3;
    if (number === 1 && wireType === LEN) key = r.string(end);
    else if (number === 2 && wireType === value.wireType) {
      entry = value.kind === Kind.Message ? decodeMessage(r, r.delimited(end), value.message!, (entry as Decoded | undefined) ?? null, depth + 1) : readValue(r, value, end);
    } else if (number === 1 || number === 2) {
      throw new WireFormatError(`map entry field ${number} came with wire type ${wireType}`);
    } else r.skip(wireType, number, end);
  }
  entry ??= value.kind === Kind.Message ? createMessage(value.message!) : defaultValue(value);
  // A plain object, like proto-loader's; "__proto__" is defined as a key, never assigned as the prototype.
  if (key === '__proto__') Object.defineProperty(map, key, { value: entry, enumerable: true, writable: true, configurable: true });
  else map[key] = entry;
}

/** Where a malformed message's error rides to its handler. */
const MALFORMED = Symbol('amaas.malformedRequest');

/** Throws the INVALID_ARGUMENT error of a message the decoder could not read; nothing for any other message. */
export function throwIfMalformed(message: object | null | undefined): void {
  const err = (message as { [MALFORMED]?: AmaasError } | null | undefined)?.[MALFORMED];
  if (err) throw err;
}

/** The deserializer of one message type: bytes -> proto-loader's object, or a marked empty message. */
export function requestDecoder(fullName: string): (bytes: Buffer) => Decoded {
  const plan = planOf(protobufRoot().lookupType(fullName));
  return (bytes) => {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from((bytes as Uint8Array).buffer, (bytes as Uint8Array).byteOffset, (bytes as Uint8Array).byteLength);
    const r = new WireReader(buf);
    try {
      return decodeMessage(r, buf.length, plan, null, 0);
    } catch (err) {
      if (!(err instanceof WireFormatError)) throw err;
      const where = err.fields.length > 0 ? ` (in ${err.fields.join('.')})` : '';
      const malformed = createMessage(plan);
      Object.defineProperty(malformed, MALFORMED, {
        value: new AmaasError('AMAAS_ERR_INVALID_REQUEST', `the request is not a valid ${fullName} message${where}: ${err.message}`),
      });
      return malformed;
    }
  };
}

/** A copy of `service` whose listed methods decode requests with requestDecoder. */
export function withDirectRequestDecoding(service: grpc.ServiceDefinition, methods: readonly string[]): grpc.ServiceDefinition {
  const copy: Record<string, grpc.MethodDefinition<unknown, unknown>> = { ...service };
  for (const name of methods) {
    const method = service[name];
    if (!method) throw new Error(`service has no method ${name}`);
    const rpc = protobufRoot().lookupService(method.path.split('/')[1]).methods[name];
    copy[name] = { ...method, requestDeserialize: requestDecoder(rpc.resolvedRequestType!.fullName.replace(/^\./, '')) };
  }
  return copy as grpc.ServiceDefinition;
}
