/** grpc.health.v1 Check: the status of one name now; an unknown name fails with NOT_FOUND (through the table). */
import { AmaasError } from '../../errors';
import { quoted } from '../../errors-format';
import { unary } from '../unary';
import type { HealthStatus } from './health-status';

export function healthCheckHandler(health: HealthStatus) {
  return unary<{ service: string }, { status: string }>((r) => {
    const status = health.statusOf(r.service ?? '');
    if (status === null) {
      throw new AmaasError(
        'AMAAS_ERR_MODEL_NOT_FOUND',
        `health: ${quoted(r.service)} is neither a service of this server nor a model in its repository`,
      );
    }
    return { status };
  });
}
