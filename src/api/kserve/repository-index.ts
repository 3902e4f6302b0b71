/**
 * RepositoryIndex (Triton): every model version with its state (amaas has one repository; its name is not
 * checked). With auth on, only the models the caller may see (a `metadata` listing: security/method-scopes.ts).
 */
import type { ApiContext } from '../context';
import { identityOf, visibleModels } from '../../security';
import { repositoryIndex } from './metadata-wire';
import { unary } from '../unary';

export function repositoryIndexHandler(ctx: ApiContext) {
  return unary<{ ready: boolean }, { models: ReturnType<typeof repositoryIndex> }>((r, call) => ({
    models: visibleModels(identityOf(call), repositoryIndex(ctx.registry, !!r.ready)),
  }));
}
