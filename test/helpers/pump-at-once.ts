/**
 * DynamicBatcherOptions.turnEnd for tests of the batching policy: each submit pumps at once, so a test sees a
 * batch launch in the same step that queued it. Production pumps at the end of the event-loop turn instead;
 * test/unit/scheduling/batch-coalescing.test.ts tests that.
 */
export const pumpAtOnce = (run: () => void): void => run();
