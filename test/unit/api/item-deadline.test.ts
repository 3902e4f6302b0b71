/** A stream item's own deadline on top of the stream's, with Jest's fake timers: no real waiting. */
import { itemDeadline, withItemDeadline } from '../../../src/api/item-deadline';
import type { Cancellation } from '../../../src/scheduling/cancellation';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

const stream = (deadline?: number) => ({ controller: new AbortController(), deadline });

describe('itemDeadline', () => {
  it('without a timeout of its own or a default, is the stream signal and deadline as they are', () => {
    const s = stream(1_005_000);
    const item = itemDeadline({ signal: s.controller.signal, deadline: s.deadline }, undefined, null);
    expect(item.signal).toBe(s.controller.signal);
    expect(item.deadline).toBe(1_005_000);
  });

  it('aborts with AMAAS_ERR_DEADLINE_EXCEEDED when its own time runs out, and carries that deadline', () => {
    const s = stream();
    const item = itemDeadline({ signal: s.controller.signal, deadline: undefined }, 200, 500);
    expect(item.deadline).toBe(1_000_200);
    jest.advanceTimersByTime(199);
    expect(item.signal.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    expect(item.signal.reason).toMatchObject({ code: 'AMAAS_ERR_DEADLINE_EXCEEDED', message: expect.stringContaining('200 ms') });
    // The stream itself goes on.
    expect(s.controller.signal.aborted).toBe(false);
  });

  it('uses the default when the item has none, and keeps the earlier of its own and the stream deadline', () => {
    const s = stream(1_000_100);
    const item = itemDeadline({ signal: s.controller.signal, deadline: s.deadline }, undefined, 500);
    expect(item.deadline).toBe(1_000_100);
  });

  it("follows the stream's cancellation, and stops listening once disposed", () => {
    const s = stream();
    const item = itemDeadline({ signal: s.controller.signal, deadline: undefined }, 500, null);
    s.controller.abort(new Error('cancelled'));
    expect(item.signal.reason).toEqual(new Error('cancelled'));

    const s2 = stream();
    const done = itemDeadline({ signal: s2.controller.signal, deadline: undefined }, 500, null);
    done.dispose();
    s2.controller.abort(new Error('later'));
    jest.advanceTimersByTime(1000);
    expect(done.signal.aborted).toBe(false);
  });
});

describe('withItemDeadline', () => {
  it('turns a bad timeout into a rejection of the item, not a throw', async () => {
    const s = stream();
    const run = jest.fn();
    const p = withItemDeadline({ signal: s.controller.signal, deadline: undefined }, () => {
      throw new Error('bad timeout');
    }, null, run);
    await expect(p).rejects.toThrow('bad timeout');
    expect(run).not.toHaveBeenCalled();
  });

  it('clears the timer once the item is answered', async () => {
    const s = stream();
    let seen: Cancellation | undefined;
    await withItemDeadline({ signal: s.controller.signal, deadline: undefined }, () => 100, null, async (signal) => {
      seen = signal;
      return 1;
    });
    jest.advanceTimersByTime(1000);
    expect(seen!.aborted).toBe(false);
  });
});
