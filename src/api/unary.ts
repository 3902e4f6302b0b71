/** Wraps a unary protocol handler: its result is the response, anything it throws goes through the status table. */
import type * as grpc from '@grpc/grpc-js';
import { toServiceError } from './status-map';

export function unary<Req, Res>(
  handle: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handle(call.request, call))
      .then(
        (response) => callback(null, response),
        (err) => callback(toServiceError(err)),
      );
  };
}
