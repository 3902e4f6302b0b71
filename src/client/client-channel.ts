/**
 * How a client reaches amaas: the channel's credentials (clear text, TLS or mTLS from PEM contents) and the
 * interceptor that sends an API key on every call.
 */
import * as grpc from '@grpc/grpc-js';

/** TLS settings of a client: PEM contents (not file names). */
export interface ClientTlsOptions {
  /** CA certificate(s) that signed the server's certificate; default: Node's public roots. */
  readonly ca?: Buffer | string;
  /** Client certificate (chain) and its key, for mTLS; give both or neither. */
  readonly cert?: Buffer | string;
  readonly key?: Buffer | string;
}

const pem = (v: Buffer | string | undefined): Buffer | null => (v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v));

/** Clear text by default; TLS (and mTLS with cert and key) when options.tls is set. */
export function channelCredentials(options: { readonly tls?: ClientTlsOptions; readonly credentials?: grpc.ChannelCredentials }): grpc.ChannelCredentials {
  if (options.credentials) return options.credentials;
  if (!options.tls) return grpc.credentials.createInsecure();
  const { ca, cert, key } = options.tls;
  if ((cert === undefined) !== (key === undefined)) throw new TypeError('tls.cert and tls.key go together: give both or neither');
  return grpc.credentials.createSsl(pem(ca), pem(key), pem(cert));
}

/** A client interceptor that adds the API key to every call's metadata (works in clear text and over TLS). */
export function bearerInterceptor(apiKey: string): grpc.Interceptor {
  if (!/^[\x21-\x7e]+$/.test(apiKey)) throw new TypeError('apiKey must be printable ASCII without spaces');
  const value = `Bearer ${apiKey}`;
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', value);
        next(metadata, listener);
      },
    });
}
