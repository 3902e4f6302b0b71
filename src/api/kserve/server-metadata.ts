/** ServerMetadata: name, version and the protocol extensions amaas implements. */
import type { WireServerMetadataResponse } from './messages';
import { serverMetadata } from './metadata-wire';
import { unary } from '../unary';

export function serverMetadataHandler() {
  return unary<unknown, WireServerMetadataResponse>(() => serverMetadata());
}
