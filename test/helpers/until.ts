/** Polls `condition` until it holds; fails after `limitMs`, a bound that only catches a hang (never a speed claim). */
export async function until(condition: () => boolean, what: string, limitMs = 30_000, pollMs = 5): Promise<void> {
  const giveUp = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
