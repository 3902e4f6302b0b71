import { CancellationSource } from '../../../src/scheduling/cancellation';

describe('CancellationSource', () => {
  it('calls each listener once with the reason set, in the order added', () => {
    const source = new CancellationSource();
    const seen: string[] = [];
    source.addEventListener('abort', () => seen.push(`a:${String(source.reason)}`));
    source.addEventListener('abort', () => seen.push('b'));
    source.addEventListener('abort', () => seen.push('c'));
    expect(source.aborted).toBe(false);
    source.abort('gone');
    source.abort('again');
    expect(source.aborted).toBe(true);
    expect(source.reason).toBe('gone');
    expect(seen).toEqual(['a:gone', 'b', 'c']);
  });

  it('does not call a removed listener, and keeps the others', () => {
    const source = new CancellationSource();
    const seen: string[] = [];
    const a = () => seen.push('a');
    const b = () => seen.push('b');
    const c = () => seen.push('c');
    source.addEventListener('abort', a);
    source.addEventListener('abort', b);
    source.addEventListener('abort', c);
    source.removeEventListener('abort', a);
    source.removeEventListener('abort', c);
    // A listener added after the first was removed still runs.
    const d = () => seen.push('d');
    source.addEventListener('abort', d);
    source.abort(new Error('x'));
    expect(seen.sort()).toEqual(['b', 'd']);
  });

  it('keeps working when most listeners leave in the order they came, as a stream\'s queued items do', () => {
    const source = new CancellationSource();
    const seen: number[] = [];
    const listeners = Array.from({ length: 5000 }, (_, n) => () => seen.push(n));
    for (const l of listeners) source.addEventListener('abort', l);
    // All but every 1000th leave in order, and one leaves out of order.
    for (let n = 0; n < 5000; n++) if (n % 1000 !== 0 && n !== 4321) source.removeEventListener('abort', listeners[n]);
    source.removeEventListener('abort', listeners[4321]);
    source.addEventListener('abort', () => seen.push(-1));
    source.abort('r');
    expect(seen).toEqual([0, 1000, 2000, 3000, 4000, -1]);
  });

  it('never calls a listener added after it aborted (callers check aborted first, as with AbortSignal)', () => {
    const source = new CancellationSource();
    source.abort('r');
    let calls = 0;
    source.addEventListener('abort', () => calls++);
    expect(calls).toBe(0);
  });

  it('is accepted where an AbortSignal is (the REST binding passes one)', () => {
    const controller = new AbortController();
    const asCancellation: import('../../../src/scheduling/cancellation').Cancellation = controller.signal;
    let calls = 0;
    asCancellation.addEventListener('abort', () => calls++, { once: true });
    controller.abort('r');
    expect(calls).toBe(1);
    expect(asCancellation.reason).toBe('r');
  });
});
