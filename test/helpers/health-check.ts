/**
 * grpc.health.v1 Check through a client built from the public definition (a protobufjs descriptor written here,
 * not the server's proto), for tests that ask a server or a balancer in front of it whether it serves.
 */
import * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';

const root = protobuf.Root.fromJSON({
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: { ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } } },
                },
              },
            },
          },
        },
      },
    },
  },
});
const Req = root.lookupType('grpc.health.v1.HealthCheckRequest');
const Res = root.lookupType('grpc.health.v1.HealthCheckResponse');
const method = (name: string, responseStream: boolean) => ({
  path: `/grpc.health.v1.Health/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: (v: object) => Buffer.from(Req.encode(Req.fromObject(v)).finish()),
  requestDeserialize: (b: Buffer) => Req.toObject(Req.decode(b)),
  responseSerialize: (v: object) => Buffer.from(Res.encode(Res.fromObject(v)).finish()),
  responseDeserialize: (b: Buffer) => Res.toObject(Res.decode(b), { enums: String, defaults: true }) as { status: string },
});

/** A generic grpc.health.v1 client (Check and Watch), statuses as enum names. */
export const HealthClient = grpc.makeGenericClientConstructor({ Check: method('Check', false), Watch: method('Watch', true) }, 'Health');

export class HealthChecker {
  private readonly client: grpc.Client & { Check: (r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: { status: string }) => void) => void };

  constructor(address: string) {
    this.client = new HealthClient(address, grpc.credentials.createInsecure()) as never;
  }

  /** The status of `service` ("" for the whole server), or the failure's status code name. */
  check(service: string, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve) =>
      this.client.Check({ service }, { deadline: Date.now() + timeoutMs }, (err, res) => resolve(err ? `error ${grpc.status[err.code]}` : res.status)),
    );
  }

  close(): void {
    this.client.close();
  }
}
