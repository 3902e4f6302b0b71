/** The server must not depend on the quantizer: no module reachable from src/server.ts or the worker is under src/artifacts. */
import fs from 'node:fs';
import path from 'node:path';

/** Every local module the compiled file reaches through require() (type-only imports compile away). */
function reachable(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
    const base = path.resolve(path.dirname(file), m[1]);
    const target = [`${base}.js`, path.join(base, 'index.js')].find((f) => fs.existsSync(f));
    if (target) reachable(target, seen);
  }
  return seen;
}

test('nothing the server or its session worker imports is under src/artifacts', () => {
  const dist = path.join(__dirname, '..', '..', '..');
  const modules = [...reachable(path.join(dist, 'src', 'server.js')), ...reachable(path.join(dist, 'workers', 'session-worker.js'))];
  expect(modules.length).toBeGreaterThan(20);
  expect(modules.filter((m) => m.includes(`${path.sep}artifacts${path.sep}`))).toEqual([]);
});
