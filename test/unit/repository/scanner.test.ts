import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scanModel, scanRepository } from '../../../src/repository/scanner';
import { expectAmaasError } from '../../helpers/expect-amaas-error';

const made: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amaas-scanner-'));
  made.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of made) {
    try {
      fs.chmodSync(dir, 0o700);
    } catch {
      // already gone
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function addVersion(repo: string, model: string, version: string, withModel = true): void {
  const dir = path.join(repo, model, version);
  fs.mkdirSync(dir, { recursive: true });
  if (withModel) fs.writeFileSync(path.join(dir, 'model.onnx'), 'not really onnx');
}

const expectConfigInvalid = (fn: () => unknown, ...inMessage: string[]) =>
  void expectAmaasError(fn, 'AMAAS_ERR_CONFIG_INVALID', ...inMessage);

describe('scanRepository', () => {
  it('sorts versions numerically (2 before 10)', () => {
    const repo = tempDir();
    for (const v of ['10', '2', '1', '100', '9']) addVersion(repo, 'm', v);
    const [m] = scanRepository(repo);
    expect(m.versions.map((v) => v.version)).toEqual([1, 2, 9, 10, 100]);
    expect(m.versions[1].modelPath).toBe(path.join(repo, 'm', '2', 'model.onnx'));
    expect(m.versions.every((v) => v.problem === undefined)).toBe(true);
  });

  it('ignores version folders that are not positive integers without leading zeros', () => {
    const repo = tempDir();
    addVersion(repo, 'm', '3');
    for (const v of ['0', '01', '007', 'v1', '1.5', '-1', 'latest', '1e3', ' 2']) addVersion(repo, 'm', v);
    const [m] = scanRepository(repo);
    expect(m.versions.map((v) => v.version)).toEqual([3]);
  });

  it('ignores files where version folders would be', () => {
    const repo = tempDir();
    addVersion(repo, 'm', '1');
    fs.writeFileSync(path.join(repo, 'm', '2'), 'a file named like a version');
    const [m] = scanRepository(repo);
    expect(m.versions.map((v) => v.version)).toEqual([1]);
  });

  it('reports a version whose model.onnx is missing, as a problem naming the file but no server path', () => {
    const repo = tempDir();
    addVersion(repo, 'm', '1');
    addVersion(repo, 'm', '2', false);
    const [m] = scanRepository(repo);
    expect(m.versions).toHaveLength(2);
    expect(m.versions[0].problem).toBeUndefined();
    expect(m.versions[1].version).toBe(2);
    expect(m.versions[1].modelPath).toBe(path.join(repo, 'm', '2', 'model.onnx'));
    expect(m.versions[1].problem).toContain('model.onnx');
    // Clients see the problem as the version's reason: the folder is named by its version, the path only logged.
    expect(m.versions[1].problem).toBe('model.onnx is missing from version folder 2');
    expect(m.versions[1].problem).not.toContain(repo);
  });

  it('lists a model with no version folders with no versions', () => {
    const repo = tempDir();
    fs.mkdirSync(path.join(repo, 'empty'));
    expect(scanRepository(repo)).toEqual([{ name: 'empty', dir: path.join(repo, 'empty'), configPath: undefined, versions: [], configFingerprint: '' }]);
  });

  it.each(['config.yaml', 'config.yml', 'config.json'])('finds %s', (file) => {
    const repo = tempDir();
    addVersion(repo, 'm', '1');
    fs.writeFileSync(path.join(repo, 'm', file), file.endsWith('.json') ? '{}' : 'instances: 1\n');
    const [m] = scanRepository(repo);
    expect(m.configPath).toBe(path.join(repo, 'm', file));
  });

  it('prefers config.yaml over config.yml over config.json', () => {
    const repo = tempDir();
    addVersion(repo, 'm', '1');
    fs.writeFileSync(path.join(repo, 'm', 'config.json'), '{}');
    fs.writeFileSync(path.join(repo, 'm', 'config.yml'), '{}');
    expect(scanRepository(repo)[0].configPath).toBe(path.join(repo, 'm', 'config.yml'));
    fs.writeFileSync(path.join(repo, 'm', 'config.yaml'), '{}');
    expect(scanRepository(repo)[0].configPath).toBe(path.join(repo, 'm', 'config.yaml'));
  });

  it('leaves configPath undefined without a config file (other names are not configs)', () => {
    const repo = tempDir();
    addVersion(repo, 'm', '1');
    fs.writeFileSync(path.join(repo, 'm', 'config.toml'), '');
    fs.writeFileSync(path.join(repo, 'm', 'Config.yaml'), '');
    // Config.yaml and config.yaml are the same file on case-insensitive file systems.
    const sameFile = fs.existsSync(path.join(repo, 'm', 'config.yaml'));
    expect(scanRepository(repo)[0].configPath).toBe(sameFile ? path.join(repo, 'm', 'config.yaml') : undefined);
  });

  it('ignores files at the top level and sorts models by name', () => {
    const repo = tempDir();
    addVersion(repo, 'zeta', '1');
    addVersion(repo, 'alpha', '1');
    fs.writeFileSync(path.join(repo, 'README.md'), '# models');
    fs.writeFileSync(path.join(repo, 'model.onnx'), 'stray');
    const models = scanRepository(repo);
    expect(models.map((m) => m.name)).toEqual(['alpha', 'zeta']);
    expect(models[0].dir).toBe(path.join(repo, 'alpha'));
  });

  it('ignores folders whose names are not valid model names', () => {
    const repo = tempDir();
    addVersion(repo, 'good-model_1.0', '1');
    addVersion(repo, '.hidden', '1');
    addVersion(repo, '_private', '1');
    addVersion(repo, 'has space', '1');
    expect(scanRepository(repo).map((m) => m.name)).toEqual(['good-model_1.0']);
  });

  it('follows a symlinked model folder', () => {
    const repo = tempDir();
    const elsewhere = tempDir();
    addVersion(elsewhere, 'real', '4');
    fs.writeFileSync(path.join(elsewhere, 'real', 'config.json'), '{}');
    fs.symlinkSync(path.join(elsewhere, 'real'), path.join(repo, 'linked'), 'dir');
    const [m] = scanRepository(repo);
    expect(m.name).toBe('linked');
    expect(m.dir).toBe(path.join(repo, 'linked'));
    expect(m.versions.map((v) => v.version)).toEqual([4]);
    expect(m.versions[0].problem).toBeUndefined();
    expect(m.configPath).toBe(path.join(repo, 'linked', 'config.json'));
  });

  it('follows a symlinked version folder, and ignores broken links', () => {
    const repo = tempDir();
    const elsewhere = tempDir();
    addVersion(elsewhere, 'store', '1');
    fs.mkdirSync(path.join(repo, 'm'));
    fs.symlinkSync(path.join(elsewhere, 'store', '1'), path.join(repo, 'm', '7'), 'dir');
    fs.symlinkSync(path.join(elsewhere, 'nowhere'), path.join(repo, 'm', '8'), 'dir');
    fs.symlinkSync(path.join(elsewhere, 'nowhere'), path.join(repo, 'broken'), 'dir');
    const models = scanRepository(repo);
    expect(models.map((m) => m.name)).toEqual(['m']);
    expect(models[0].versions.map((v) => v.version)).toEqual([7]);
  });

  it('fails with AMAAS_ERR_CONFIG_INVALID naming a missing repository', () => {
    const missing = path.join(tempDir(), 'does-not-exist');
    expectConfigInvalid(() => scanRepository(missing), missing);
  });

  it('fails with AMAAS_ERR_CONFIG_INVALID when the repository is a file', () => {
    const file = path.join(tempDir(), 'repo.txt');
    fs.writeFileSync(file, '');
    expectConfigInvalid(() => scanRepository(file), file);
  });

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  (isRoot || process.platform === 'win32' ? it.skip : it)('fails with AMAAS_ERR_CONFIG_INVALID when the repository is unreadable', () => {
    const repo = tempDir();
    addVersion(repo, 'm', '1');
    fs.chmodSync(repo, 0o000);
    try {
      expectConfigInvalid(() => scanRepository(repo), repo);
    } finally {
      fs.chmodSync(repo, 0o700);
    }
  });
});

describe('scanModel', () => {
  it('scans one model folder directly', () => {
    const repo = tempDir();
    addVersion(repo, 'm', '2');
    addVersion(repo, 'm', '1', false);
    const m = scanModel('m', path.join(repo, 'm'));
    expect(m.name).toBe('m');
    expect(m.versions.map((v) => [v.version, v.problem === undefined])).toEqual([
      [1, false],
      [2, true],
    ]);
  });
});
