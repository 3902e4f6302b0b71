/** gc_heap_growing_percent becomes V8's --heap-growing-percent flag at start; 0 leaves V8's heuristic alone. */
import { applyHeapGrowth, heapGrowingFlag } from '../../../src/runtime/heap-growth';

it('maps a percentage to the V8 flag, and 0 to none', () => {
  expect(heapGrowingFlag(200)).toBe('--heap-growing-percent=200');
  expect(heapGrowingFlag(1)).toBe('--heap-growing-percent=1');
  expect(heapGrowingFlag(0)).toBeNull();
});

it('refuses what is not a whole, non-negative percentage', () => {
  expect(() => heapGrowingFlag(-1)).toThrow(RangeError);
  expect(() => heapGrowingFlag(1.5)).toThrow(/whole number/);
});

it('sets the flag once, and nothing for 0', () => {
  const set: string[] = [];
  expect(applyHeapGrowth(300, (f) => set.push(f))).toBe('--heap-growing-percent=300');
  expect(applyHeapGrowth(0, (f) => set.push(f))).toBeNull();
  expect(set).toEqual(['--heap-growing-percent=300']);
});
