/** SerialOperations: one key's operations run one after another, in order, a failure stops none of the rest. */
import { SerialOperations } from '../../../src/repository/serial-operations';

/** A promise the test settles by hand, to hold an operation while another is queued. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

it('runs one key in order, never two at once, and other keys beside it', async () => {
  const ops = new SerialOperations();
  const log: string[] = [];
  const held = gate();
  const first = ops.run('m', async () => {
    log.push('m1 start');
    await held.promise;
    log.push('m1 end');
    return 1;
  });
  const second = ops.run('m', async () => {
    log.push('m2');
    return 2;
  });
  const other = ops.run('n', async () => {
    log.push('n1');
    return 3;
  });
  await other;
  // The other key ran while m1 was held; m2 waits for m1.
  expect(log).toEqual(['m1 start', 'n1']);
  held.open();
  await expect(Promise.all([first, second])).resolves.toEqual([1, 2]);
  expect(log).toEqual(['m1 start', 'n1', 'm1 end', 'm2']);
});

it('runs the next operation after a failure, and the failure reaches only its own caller', async () => {
  const ops = new SerialOperations();
  const failed = ops.run('m', async () => {
    throw new Error('load failed');
  });
  const next = ops.run('m', async () => 'ran');
  await expect(failed).rejects.toThrow('load failed');
  await expect(next).resolves.toBe('ran');
});

it('settled() waits for every key', async () => {
  const ops = new SerialOperations();
  const held = gate();
  let done = false;
  void ops.run('m', async () => {
    await held.promise;
    done = true;
  });
  const all = ops.settled().then(() => done);
  held.open();
  await expect(all).resolves.toBe(true);
});
