/** ModelEntry's default version and the history Rollback walks back through. */
import { resolveModelConfig } from '../../../src/config/schema';
import { ModelEntry } from '../../../src/repository/model-entry';
import type { ModelVersion } from '../../../src/repository/model-version';

/** Only a version's number and state matter to the entry. */
function setReady(entry: ModelEntry, version: number, ready: boolean): void {
  entry.versions.set(version, { version, state: ready ? 'READY' : 'UNAVAILABLE' } as ModelVersion);
}

it('notes each switch of the default once and keeps earlier defaults, most recent last, each once', () => {
  const entry = new ModelEntry('m', resolveModelConfig({}));
  expect(entry.noteDefault()).toBeNull();
  setReady(entry, 1, true);
  expect(entry.noteDefault()).toEqual({ from: 0, to: 1 });
  expect(entry.noteDefault()).toBeNull();
  setReady(entry, 2, true);
  expect(entry.noteDefault()).toEqual({ from: 1, to: 2 });
  entry.runtimeDefault = 1;
  expect(entry.noteDefault()).toEqual({ from: 2, to: 1 });
  entry.runtimeDefault = 2;
  expect(entry.noteDefault()).toEqual({ from: 1, to: 2 });
  // 1 was left twice: it is listed once, as the most recent (Rollback skips the current default, 2).
  expect(entry.previousDefaults).toEqual([2, 1]);
});

it('a default that stops being READY gives way to the highest READY version', () => {
  const entry = new ModelEntry('m', resolveModelConfig({}));
  setReady(entry, 1, true);
  setReady(entry, 3, true);
  entry.runtimeDefault = 1;
  expect(entry.defaultVersion).toBe(1);
  setReady(entry, 1, false);
  expect(entry.defaultVersion).toBe(3);
});
