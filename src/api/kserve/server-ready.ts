/** ServerReady: ready until the server starts draining for shutdown (models report their own readiness). */
import type { ApiContext } from '../context';
import { unary } from '../unary';

export function serverReadyHandler(ctx: ApiContext) {
  return unary<unknown, { ready: boolean }>(() => ({ ready: !ctx.drain.unready }));
}
