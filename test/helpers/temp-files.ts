/** Files in fresh temp folders for one test file, removed after its tests (call the returned cleanup in afterAll). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempFiles(prefix: string): { file(name: string, text: string): string; cleanup(): void } {
  const made: string[] = [];
  return {
    file(name, text) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      made.push(dir);
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    },
    cleanup() {
      for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
