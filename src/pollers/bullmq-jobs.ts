import type { JobType, Queue } from 'bullmq';

/** States a live poll job can be in (active ↔ delayed, wait after a stall or a due poll). */
export const LIVE_STATES: JobType[] = ['active', 'wait', 'delayed', 'prioritized'];

/** BullMQ custom job ids may not contain ':' (nor be integers); encode both parts and join with '|'. */
export function jobIdFor(kind: string, id: string): string {
  return `${encodeURIComponent(kind)}|${encodeURIComponent(id)}`;
}

export function parseJobId(jobId: string): { kind: string; id: string } | null {
  const bar = jobId.indexOf('|');
  if (bar < 0) return null;
  try {
    return { kind: decodeURIComponent(jobId.slice(0, bar)), id: decodeURIComponent(jobId.slice(bar + 1)) };
  } catch {
    return null;
  }
}

/**
 * Reconciler pass, poll jobs: registers (through `add`) a job for every open
 * entity of `kind` that has none (Redis restarted empty, a registration lost
 * after commit), and hands back to the workers a job left *active* with no
 * lock at all (Redis restarted from a snapshot after the lock expired)
 * instead of waiting for BullMQ's stalled check — such a job *is* stalled
 * (its instance died mid-poll), so it is reported through `onStalled` as the
 * worker's stalled check would have: whichever of the two finds it first, it is
 * counted once. Returns how many jobs it (re)made live.
 */
export async function ensureJobs(
  queue: Queue,
  kind: string,
  ids: readonly string[],
  add: (kind: string, id: string) => Promise<void>,
  onStalled?: (jobId: string) => void,
): Promise<number> {
  if (!ids.length) return 0;
  const live = new Set(await queue.getRanges(LIVE_STATES, 0, -1));
  const active = new Set(await queue.getRanges(['active'], 0, -1));
  const client = await queue.getBackend().client;
  let fixed = 0;
  for (const id of ids) {
    const jobId = jobIdFor(kind, id);
    if (!live.has(jobId)) {
      await add(kind, id);
      fixed++;
    } else if (active.has(jobId) && (await client.get(`${queue.toKey(jobId)}:lock`)) === null && (await backToWait(queue, jobId))) {
      onStalled?.(jobId);
      fixed++;
    }
  }
  return fixed;
}

/**
 * After Redis returns from a snapshot: a job the snapshot caught *active*
 * still carries this worker's lock (token `${workerId}:n`, valid up to the
 * lock duration) although the poll finished long ago. Nobody else will touch
 * it before the lock expires; this worker knows it holds no such job
 * (`inFlight`), so it hands the job back at once. Returns how many.
 */
export async function releaseOrphans(queue: Queue, workerId: string, inFlight: ReadonlySet<string>): Promise<number> {
  const client = await queue.getBackend().client;
  let released = 0;
  for (const jobId of await queue.getRanges(['active'], 0, -1)) {
    if (inFlight.has(jobId)) continue;
    const lock = await client.get(`${queue.toKey(jobId)}:lock`);
    if (lock?.startsWith(`${workerId}:`) && !inFlight.has(jobId) && (await backToWait(queue, jobId))) released++;
  }
  return released;
}

/** Active → wait for a job known to be held by no worker (token '0': whatever the lock says). */
async function backToWait(queue: Queue, jobId: string): Promise<boolean> {
  const job = await queue.getJob(jobId);
  if (!job || (await job.getState()) !== 'active') return false;
  await job.moveToWait('0');
  return true;
}
