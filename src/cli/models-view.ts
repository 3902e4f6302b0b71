/**
 * ListModels and model-control results as tables a person reads: one table of versions (state, default,
 * execution provider, and as DETAIL why a version is unavailable or the notes of a loaded one) and one of the
 * described version's inputs and outputs. A dynamic dimension (-1 on the wire) shows as '?', a scalar's empty
 * shape as 'scalar'.
 */
import type { ModelInfo } from '../client/amaas-client';
import { Column, TableOptions, renderTable, shorten } from './table';

/** Details are cut to this many characters (and further to fit the terminal); --json has them whole. */
export const DETAIL_MAX_CHARS = 80;

const VERSION_COLUMNS: readonly Column[] = [
  { header: 'MODEL' },
  { header: 'VERSION', align: 'right' },
  { header: 'STATE' },
  { header: 'DEFAULT' },
  { header: 'PROVIDER' },
  { header: 'DETAIL', shrink: true },
];

const TENSOR_COLUMNS: readonly Column[] = [
  { header: 'MODEL' },
  { header: 'VERSION', align: 'right' },
  { header: 'KIND' },
  { header: 'NAME' },
  { header: 'DATATYPE' },
  { header: 'SHAPE' },
];

/** `[?, 4]` for [-1, 4]; `scalar` for []. */
export function formatShape(shape: readonly number[]): string {
  if (shape.length === 0) return 'scalar';
  return `[${shape.map((d) => (d < 0 ? '?' : String(d))).join(', ')}]`;
}

/** One row per version (DETAIL: the reason, else the notes); a model with no version folders still gets a row. */
export function versionRows(models: readonly ModelInfo[]): string[][] {
  return models.flatMap((m) =>
    m.versions.length === 0
      ? [[m.name, '-', '-', '', '', '']]
      : m.versions.map((v) => [
          m.name,
          String(v.version),
          v.state,
          v.version === m.defaultVersion ? 'yes' : '',
          v.executionProvider || '-',
          shorten(v.reason || v.notes.join('; '), DETAIL_MAX_CHARS),
        ]),
  );
}

/** One row per input, then per output, of the version each model describes (none when no version is ready). */
export function tensorRows(models: readonly ModelInfo[]): string[][] {
  return models.flatMap((m) =>
    (['input', 'output'] as const).flatMap((kind) =>
      (kind === 'input' ? m.inputs : m.outputs).map((t) => [m.name, String(m.describedVersion), kind, t.name, t.datatype, formatShape(t.shape)]),
    ),
  );
}

/** `amaas models` on a terminal: the versions table, a blank line, the tensors table. */
export function renderModels(models: readonly ModelInfo[], options: TableOptions = {}): string {
  if (models.length === 0) return 'no models\n';
  const tensors = tensorRows(models);
  const versions = renderTable(VERSION_COLUMNS, versionRows(models), options);
  return tensors.length === 0 ? versions : `${versions}\n${renderTable(TENSOR_COLUMNS, tensors, options)}`;
}

/** What a control command (load, unload, set-default, rollback) left: the model's versions. */
export function renderModelState(model: ModelInfo, options: TableOptions = {}): string {
  return renderTable(VERSION_COLUMNS, versionRows([model]), options);
}
