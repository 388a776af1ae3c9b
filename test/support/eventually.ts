/**
 * Resolves with the probe's value once it is truthy, checking after each turn of the event loop
 * (and at most every few milliseconds): for effects of work the app does after it answered, such as
 * a Bolt listener that runs after its ack. Not a sleep: it returns as soon as the condition holds,
 * and the timeout only fails a test that would otherwise hang. The probe may be async (e.g. a scrape).
 */
export async function eventually<T>(probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms: ${probe.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
