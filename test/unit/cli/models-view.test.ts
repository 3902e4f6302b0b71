import type { ModelInfo } from '../../../src/client/amaas-client';
import { DETAIL_MAX_CHARS, formatShape, renderModelState, renderModels, tensorRows, versionRows } from '../../../src/cli/models-view';

type Version = ModelInfo['versions'][number];
/** One version as the client decodes it; notes are what the server says about a loaded version. */
const version = (v: Partial<Version> & Pick<Version, 'version' | 'state'>): Version =>
  ({ reason: '', executionProvider: '', notes: [], ...v }) as Version;

const LOAD_FAILURE =
  'model failed to load: Load model from model.onnx failed:\nProtobuf parsing failed. The file is truncated, or it is not an ONNX model; ' +
  'check that the publish finished before the scan';

/** What ListModels returns for a model serving the second of three versions, a model with a scalar input, and one loading. */
const MLP: ModelInfo = {
  name: 'mlp',
  defaultVersion: 2,
  versions: [
    version({ version: 1, state: 'UNAVAILABLE', reason: 'not selected by version_policy' }),
    version({ version: 2, state: 'READY', executionProvider: 'cpu' }),
    version({ version: 3, state: 'UNAVAILABLE', reason: LOAD_FAILURE }),
  ],
  describedVersion: 2,
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 64] }],
  outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 10] }],
  platform: 'onnxruntime',
};

const THRESHOLD: ModelInfo = {
  name: 'threshold',
  defaultVersion: 1,
  versions: [
    version({ version: 1, state: 'READY', executionProvider: 'cpu', notes: ['generated warm-up failed; its first requests pay the first-run cost'] }),
  ],
  describedVersion: 1,
  inputs: [
    { name: 'values', datatype: 'INT64', shape: [-1, -1] },
    { name: 'limit', datatype: 'INT64', shape: [] },
  ],
  outputs: [{ name: 'over', datatype: 'BOOL', shape: [-1, -1] }],
  platform: 'onnxruntime',
};

const LOADING: ModelInfo = {
  name: 'loading',
  defaultVersion: 0,
  versions: [version({ version: 1, state: 'LOADING' })],
  describedVersion: 0,
  inputs: [],
  outputs: [],
  platform: 'onnxruntime',
};

describe('formatShape', () => {
  it('shows dynamic dimensions as ? and a scalar as scalar', () => {
    expect(formatShape([-1, 64])).toBe('[?, 64]');
    expect(formatShape([2, 3, 4])).toBe('[2, 3, 4]');
    expect(formatShape([-1])).toBe('[?]');
    expect(formatShape([])).toBe('scalar');
    expect(formatShape([0])).toBe('[0]');
  });
});

describe('versionRows', () => {
  it('gives each version its state, the default mark, its provider and a one-line, shortened reason', () => {
    const rows = versionRows([MLP]);
    expect(rows.slice(0, 2)).toEqual([
      ['mlp', '1', 'UNAVAILABLE', '', '-', 'not selected by version_policy'],
      ['mlp', '2', 'READY', 'yes', 'cpu', ''],
    ]);
    const reason = rows[2][5];
    expect([...reason].length).toBeLessThanOrEqual(DETAIL_MAX_CHARS);
    expect(reason).toBe('model failed to load: Load model from model.onnx failed: Protobuf parsing…');
  });

  it("shows a loaded version's notes where there is no reason", () => {
    expect(versionRows([THRESHOLD])).toEqual([
      ['threshold', '1', 'READY', 'yes', 'cpu', 'generated warm-up failed; its first requests pay the first-run cost'],
    ]);
  });

  it('lists a model with no version folders, so that it still shows', () => {
    expect(versionRows([{ ...LOADING, versions: [] }])).toEqual([['loading', '-', '-', '', '', '']]);
  });
});

describe('tensorRows', () => {
  it('lists inputs then outputs of the described version', () => {
    expect(tensorRows([MLP, THRESHOLD])).toEqual([
      ['mlp', '2', 'input', 'x', 'FP32', '[?, 64]'],
      ['mlp', '2', 'output', 'logits', 'FP32', '[?, 10]'],
      ['threshold', '1', 'input', 'values', 'INT64', '[?, ?]'],
      ['threshold', '1', 'input', 'limit', 'INT64', 'scalar'],
      ['threshold', '1', 'output', 'over', 'BOOL', '[?, ?]'],
    ]);
  });

  it('has nothing for a model with no ready version', () => {
    expect(tensorRows([LOADING])).toEqual([]);
  });
});

describe('renderModels', () => {
  it('prints the versions table, a blank line, then the tensors table', () => {
    const [versions, tensors] = renderModels([MLP, THRESHOLD, LOADING]).split('\n\n');
    expect(versions.split('\n')).toEqual([
      'MODEL      VERSION  STATE        DEFAULT  PROVIDER  DETAIL',
      'mlp              1  UNAVAILABLE           -         not selected by version_policy',
      'mlp              2  READY        yes      cpu',
      'mlp              3  UNAVAILABLE           -         model failed to load: Load model from model.onnx failed: Protobuf parsing…',
      'threshold        1  READY        yes      cpu       generated warm-up failed; its first requests pay the first-run cost',
      'loading          1  LOADING               -',
    ]);
    expect(tensors).toBe(
      [
        'MODEL      VERSION  KIND    NAME    DATATYPE  SHAPE',
        'mlp              2  input   x       FP32      [?, 64]',
        'mlp              2  output  logits  FP32      [?, 10]',
        'threshold        1  input   values  INT64     [?, ?]',
        'threshold        1  input   limit   INT64     scalar',
        'threshold        1  output  over    BOOL      [?, ?]',
        '',
      ].join('\n'),
    );
  });

  it('fits the terminal width by shortening details', () => {
    const versionLines = renderModels([MLP], { width: 80 }).split('\n\n')[0].split('\n');
    for (const line of versionLines) expect([...line].length).toBeLessThanOrEqual(80);
    expect(versionLines[3]).toBe('mlp          3  UNAVAILABLE           -         model failed to load: Load…');
  });

  it('says so when there are no models', () => {
    expect(renderModels([])).toBe('no models\n');
  });

  it('omits the tensors table when no model describes a version', () => {
    expect(renderModels([LOADING])).not.toContain('DATATYPE');
  });
});

describe('renderModelState', () => {
  it('is the versions table of one model', () => {
    expect(renderModelState(MLP).split('\n').slice(0, 3)).toEqual([
      'MODEL  VERSION  STATE        DEFAULT  PROVIDER  DETAIL',
      'mlp          1  UNAVAILABLE           -         not selected by version_policy',
      'mlp          2  READY        yes      cpu',
    ]);
  });
});
