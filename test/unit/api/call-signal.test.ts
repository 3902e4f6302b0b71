/** callSignal: the server's deadline is the call's less the margin; the signal aborts then (fake timers). */
import { EventEmitter } from 'node:events';
import { callSignal } from '../../../src/api/call-signal';

class FakeCall extends EventEmitter {
  constructor(private readonly deadline: Date | number) {
    super();
  }

  getDeadline(): Date | number {
    return this.deadline;
  }
}

beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
afterEach(() => jest.useRealTimers());

it('exposes the deadline less the margin and aborts with DEADLINE_EXCEEDED exactly then', () => {
  const cs = callSignal(new FakeCall(new Date(Date.now() + 100)), 5);
  expect(cs.deadline).toBe(Date.now() + 95);
  jest.advanceTimersByTime(94);
  expect(cs.signal.aborted).toBe(false);
  jest.advanceTimersByTime(1);
  expect(cs.signal.aborted).toBe(true);
  expect(cs.signal.reason).toMatchObject({ code: 'AMAAS_ERR_DEADLINE_EXCEEDED' });
  cs.dispose();
});

it('a call without a deadline has none and never times out', () => {
  const cs = callSignal(new FakeCall(Infinity), 5);
  expect(cs.deadline).toBeUndefined();
  jest.advanceTimersByTime(1e9);
  expect(cs.signal.aborted).toBe(false);
  cs.dispose();
});

it('cancellation aborts with CANCELLED', () => {
  const call = new FakeCall(Infinity);
  const cs = callSignal(call);
  call.emit('cancelled');
  expect(cs.signal.reason).toMatchObject({ code: 'AMAAS_ERR_CANCELLED' });
  cs.dispose();
});
