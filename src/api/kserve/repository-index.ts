/** RepositoryIndex (Triton): every model version with its state (amaas has one repository; its name is not checked). */
import type { ApiContext } from '../context';
import { repositoryIndex } from './metadata-wire';
import { unary } from '../unary';

export function repositoryIndexHandler(ctx: ApiContext) {
  return unary<{ ready: boolean }, { models: ReturnType<typeof repositoryIndex> }>((r) => ({
    models: repositoryIndex(ctx.registry, !!r.ready),
  }));
}
