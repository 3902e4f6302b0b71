/** ServerLive: the server answers, so it is live. */
import { unary } from '../unary';

export function serverLiveHandler() {
  return unary<unknown, { live: boolean }>(() => ({ live: true }));
}
