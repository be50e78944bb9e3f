/** Poll timing, shared by the in-process and the BullMQ scheduler. */
export interface BackoffPolicy {
  /** First delay, and the delay after any poll that saw a change. */
  intervalMs: number;
  /** Multiplier applied after each poll that saw nothing new. */
  factor: number;
  /** Upper bound of the delay. */
  maxIntervalMs: number;
}

/**
 * Next delay: back to the base interval when something changed (more is
 * likely to follow), otherwise grow geometrically up to the cap — an
 * unanswered proof of life can stay open for days, and polling it every two
 * seconds for days is load on gov.br for nothing. A due time (expiry) pulls
 * the next poll earlier so that EXPIRED is recorded on time.
 */
export function nextDelay(policy: BackoffPolicy, previousMs: number | null, changed: boolean, dueInMs?: number): number {
  let d = changed || previousMs == null ? policy.intervalMs : Math.min(policy.maxIntervalMs, previousMs * policy.factor);
  d = Math.max(policy.intervalMs, Math.round(d));
  if (d > policy.maxIntervalMs) d = policy.maxIntervalMs;
  if (dueInMs !== undefined && dueInMs < d) d = Math.max(0, dueInMs);
  return d;
}

/**
 * The wait after a poll, from its result: the backoff delay (kept as state
 * for the next poll) and the actual wait, which a handler may stretch with
 * `minDelayMs` (slow enrolls) without disturbing the backoff.
 */
export function delayAfterPoll(
  policy: BackoffPolicy,
  previousMs: number | null,
  result: { changed: boolean; dueAt?: Date | undefined; minDelayMs?: number | undefined },
  now = Date.now(),
): { backoffMs: number; waitMs: number } {
  const dueIn = result.dueAt ? result.dueAt.getTime() - now : undefined;
  const backoffMs = nextDelay(policy, previousMs, result.changed, dueIn);
  const waitMs = result.minDelayMs !== undefined ? Math.max(backoffMs, result.minDelayMs) : backoffMs;
  return { backoffMs, waitMs };
}
