/**
 * The Date header's value for an answer leaving now. An HTTP recipient that forwards an answer without Date
 * must add one (RFC 9110 §6.6.1), and Node's server — the classic path — always does; the fast path writes
 * heads itself, so it adds it here. Formatted at most once a second, as Node does.
 */
let cachedSecond = -1;
let cachedValue = '';

export function currentHttpDate(nowMs: number = Date.now()): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedValue = new Date(second * 1000).toUTCString();
  }
  return cachedValue;
}
