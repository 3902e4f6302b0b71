/**
 * Shared pieces of the auth tests: a tenants file written by the test (the SHA-256 of each key computed here,
 * not by the server's code), raw gRPC stubs that send any `authorization` value, and a small HTTP client.
 */
import * as grpc from '@grpc/grpc-js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { amaasV1Service, healthService, modelRepositoryService } from '../../../src/api/protos';
import { ERROR_CODE_METADATA_KEY } from '../../../src/api/status-map';
import { AmaasClient } from '../../../src/client/amaas-client';

export const KEYS = {
  /** alpha: infer + metadata on `scale`. */
  alpha: 'alpha_k3y_' + crypto.randomBytes(16).toString('base64url'),
  /** alpha's second key, added during rotation. */
  alphaNext: 'alpha_n3xt_' + crypto.randomBytes(16).toString('base64url'),
  /** alpha's key that expired in 2020. */
  alphaExpired: 'alpha_0ld_' + crypto.randomBytes(16).toString('base64url'),
  /** beta: infer + metadata on `mlp`. */
  beta: 'beta_k3y_' + crypto.randomBytes(16).toString('base64url'),
  /** ops: metadata + admin on every model. */
  ops: 'ops_k3y_' + crypto.randomBytes(16).toString('base64url'),
} as const;

const sha256 = (key: string) => crypto.createHash('sha256').update(key, 'utf8').digest('hex');

export interface TenantsOptions {
  /** Which of alpha's keys the file lists (default: alpha and alphaExpired). */
  readonly alphaKeys?: readonly ('alpha' | 'alphaNext' | 'alphaExpired')[];
}

export function tenantsYaml(o: TenantsOptions = {}): string {
  const ids = { alpha: 'alpha-1', alphaNext: 'alpha-2', alphaExpired: 'alpha-0' } as const;
  const alphaKeys = (o.alphaKeys ?? ['alpha', 'alphaExpired'])
    .map((k) => `      - { id: ${ids[k]}, sha256: "${sha256(KEYS[k])}"${k === 'alphaExpired' ? ', expires: "2020-01-01T00:00:00Z"' : ''} }`)
    .join('\n');
  return `tenants:
  alpha:
    keys:
${alphaKeys}
    models: ["scale"]
    scopes: [infer, metadata]
  beta:
    keys: [{ id: beta-1, sha256: "${sha256(KEYS.beta)}" }]
    models: ["ml?"]
    scopes: [infer, metadata]
  ops:
    keys: [{ id: ops-1, sha256: "${sha256(KEYS.ops)}" }]
    models: ["*"]
    scopes: [metadata, admin]
`;
}

/** A fresh folder for a test file's tenants file, config and audit log. */
export function securityDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-security-'));
}

/** Replaces a file's contents in one rename, as editors and config management do. */
/**
 * SDK clients with one key each (or none), made on demand against an address the test learns later, and all
 * closed by closeAll() in afterAll.
 */
export class SdkClients {
  private readonly open: AmaasClient[] = [];

  constructor(private readonly address: () => string) {}

  with(apiKey?: string): AmaasClient {
    return this.track(new AmaasClient(this.address(), apiKey === undefined ? {} : { apiKey }));
  }

  /** A client the test made itself, closed with the rest. */
  track(c: AmaasClient): AmaasClient {
    this.open.push(c);
    return c;
  }

  closeAll(): void {
    for (const c of this.open) c.close();
  }
}

export function replaceFile(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export function bearer(key: string | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  if (key !== undefined) md.set('authorization', `Bearer ${key}`);
  return md;
}

export function withAuthorization(value: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', value);
  return md;
}

export interface Failure {
  readonly code: grpc.status;
  readonly details: string;
  readonly errorCode: string | undefined;
}

export function failureOf(err: unknown): Failure {
  const e = err as grpc.ServiceError;
  if (typeof e?.code !== 'number') throw err;
  const code = e.metadata?.get(ERROR_CODE_METADATA_KEY)?.[0];
  return { code: e.code, details: e.details, errorCode: code === undefined ? undefined : String(code) };
}

/** Resolves with how a call failed; rejects when it succeeded. */
export async function failure(p: Promise<unknown>): Promise<Failure> {
  try {
    await p;
  } catch (err) {
    return failureOf(err);
  }
  throw new Error('the call succeeded, but it was expected to fail');
}

type RawClient = grpc.Client & Record<string, any>;

/** Raw stubs of amaas.v1, its ModelRepositoryService and grpc.health.v1 on one address. */
export class RawStubs {
  readonly v1: RawClient;
  readonly admin: RawClient;
  readonly health: RawClient;

  constructor(address: string) {
    this.v1 = new (amaasV1Service())(address, grpc.credentials.createInsecure()) as never;
    this.admin = new (modelRepositoryService())(address, grpc.credentials.createInsecure(), { channelOverride: this.v1.getChannel() }) as never;
    this.health = new (healthService())(address, grpc.credentials.createInsecure(), { channelOverride: this.v1.getChannel() }) as never;
  }

  call(client: RawClient, rpc: string, request: object, metadata: grpc.Metadata): Promise<any> {
    return new Promise((resolve, reject) => client[rpc](request, metadata, (err: grpc.ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res))));
  }

  close(): void {
    this.v1.close();
  }
}

/** A scale (y = 2x + 1) request in amaas.v1 wire form. */
export const scalePredict = (model = 'scale') => ({
  model_name: model,
  inputs: [{ name: 'x', datatype: 'DATA_TYPE_FP32', shape: [1, 4], raw_contents: Buffer.from(new Float32Array([1, 2, 3, 4]).buffer) }],
});

export interface HttpReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: any;
}

/** One HTTP request to 127.0.0.1 (a fresh connection each, so a closed connection never hides an answer). */
export function httpRequest(port: number, method: string, urlPath: string, headers: Record<string, string> = {}, body?: unknown): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      { host: '127.0.0.1', port, method, path: urlPath, agent: false, headers: { ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : null });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const scaleInferJson = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] };
