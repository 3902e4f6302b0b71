/**
 * Polls `condition` until it holds; fails after `limitMs`, a bound that only catches a hang (never a speed claim).
 * The condition may be async (a query to another server); the next poll starts only after it answered.
 */
export async function until(condition: () => boolean | Promise<boolean>, what: string, limitMs = 30_000, pollMs = 5): Promise<void> {
  const giveUp = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > giveUp) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
