/**
 * amaas.v1 ModelRepositoryService.GetUsage: the tenancy layer's usage rows. A caller with the admin scope (or
 * any caller when auth is off) reads every tenant's, or the one it names; any other caller only its own.
 */
import { AmaasError } from '../../errors';
import { identityOf } from '../../security';
import type { UsageRow } from '../../tenancy';
import type { ApiContext } from '../context';
import { unary } from '../unary';

interface WireGetUsageRequest {
  readonly tenant?: string;
}

interface WireTenantUsage {
  tenant: string;
  model_name: string;
  model_version: number;
  requests: number;
  succeeded: number;
  rows: number;
  refused: Record<string, number>;
  compute_ms: number;
  bytes_in: number;
  bytes_out: number;
}

function toWire(r: UsageRow): WireTenantUsage {
  return {
    tenant: r.tenant,
    model_name: r.model,
    model_version: r.version,
    requests: r.requests,
    succeeded: r.succeeded,
    rows: r.rows,
    refused: { ...r.refused },
    compute_ms: r.computeMs,
    bytes_in: r.bytesIn,
    bytes_out: r.bytesOut,
  };
}

export function getUsageHandler(ctx: ApiContext) {
  return unary<WireGetUsageRequest, { usage: WireTenantUsage[] }>((r, call) => {
    const tenancy = ctx.service.tenancy;
    if (!tenancy) return { usage: [] };
    const asked = r.tenant || undefined;
    const identity = identityOf(call);
    // identity undefined: auth is off (or the gate let a health-like call through), every row is readable.
    if (identity && !identity.scopes.has('admin')) {
      if (asked !== undefined && asked !== identity.tenant) {
        throw new AmaasError('AMAAS_ERR_PERMISSION_DENIED', "reading another tenant's usage needs the 'admin' scope");
      }
      return { usage: tenancy.usage.snapshot(identity.tenant).map(toWire) };
    }
    return { usage: tenancy.usage.snapshot(asked).map(toWire) };
  });
}
