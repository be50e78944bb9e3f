import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';

/**
 * One owner per directory, across processes: a `<name>.lock` directory made
 * with proper-lockfile (mkdir is atomic, also on network file systems), its
 * mtime refreshed every `LOCK_UPDATE_MS` by the holder, plus a
 * `<name>.lock.json` next to it naming the holder (pid, host, start time) so
 * that a refused process can say who has it.
 *
 * Why these intervals: a lock whose mtime is older than `LOCK_STALE_MS` is
 * taken over (the holder died without releasing: kill -9, power loss). The
 * holder refreshes every 2 s, so its event loop would have to stall for 8 s
 * before another process could take over; a stall that long makes
 * proper-lockfile report the lock compromised (`onLost`), and the owner must
 * stop writing. A restart after kill -9 on the same host does not wait for
 * staleness: the holder file names a pid that no longer runs, so the lock is
 * stale at once. On another host (or when the pid was reused) the newcomer
 * watches the lock: an mtime that moves means a live holder (refused within
 * ~3 s); one that does not is taken over after `LOCK_STALE_MS`.
 */
export const LOCK_STALE_MS = 10_000;
export const LOCK_UPDATE_MS = 2_000;
/** How often a newcomer looks at a lock it may have to wait out. */
const WATCH_MS = 500;

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  /** What holds it, e.g. `gateway` or `prova-de-vida simulator`. */
  what: string;
}

export class DirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | null,
    what: string,
  ) {
    const who = holder
      ? `${holder.what} pid ${holder.pid} on host ${holder.host}, started ${holder.startedAt}`
      : 'another process (holder unknown)';
    super(`${what} ${dir} is in use by ${who}; stop it first (one process per directory)`);
    this.name = 'DirLockedError';
  }
}

export interface DirLock {
  readonly lockPath: string;
  release(): Promise<void>;
}

export interface LockDirOptions {
  /** Names this process in the holder file and in the refusal message, e.g. `gateway`. */
  what: string;
  /** Says what the directory is in the refusal message, e.g. `DATA_DIR`. @default 'directory' */
  label?: string;
  /** The lock could not be kept fresh and may now belong to someone else: stop writing. */
  onLost?: (err: Error) => void;
}

/** Locks of this process (a second open of the same dir in one process is refused too). */
const heldHere = new Set<string>();

export async function lockDir(dirPath: string, name: string, opts: LockDirOptions): Promise<DirLock> {
  const dir = resolve(dirPath);
  mkdirSync(dir, { recursive: true });
  const target = join(dir, name);
  const lockPath = `${target}.lock`;
  const holderPath = `${lockPath}.json`;
  const label = opts.label ?? 'directory';
  if (heldHere.has(lockPath)) throw new DirLockedError(dir, readHolder(holderPath), label);
  const lockOpts = {
    stale: LOCK_STALE_MS,
    update: LOCK_UPDATE_MS,
    realpath: false,
    lockfilePath: lockPath,
    onCompromised: (err: Error) => {
      heldHere.delete(lockPath);
      if (opts.onLost) opts.onLost(err);
    },
  };
  const tryLock = async (): Promise<(() => Promise<void>) | null> => {
    try {
      return await lockfile.lock(target, lockOpts);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOCKED') return null;
      throw err;
    }
  };

  let release = await tryLock();
  if (!release) {
    const holder = readHolder(holderPath);
    if (holder && holder.host === hostname() && !alive(holder.pid)) {
      // The holder died without releasing (kill -9): make the lock stale so proper-lockfile replaces it.
      // Read the holder again first: a process that took the lock a moment ago writes its own within
      // milliseconds, and its lock must not be mistaken for the dead one's.
      await new Promise((r) => setTimeout(r, 100));
      if (readHolder(holderPath)?.pid === holder.pid) markStale(lockPath);
      release = await tryLock();
    } else if (holder && holder.host === hostname() && !isStale(lockPath)) {
      // A running process with a fresh lock. (A stale one means a reused pid or a hung holder: waited out below.)
      throw new DirLockedError(dir, holder, label);
    }
    // Unknown holder or another host: a live one refreshes the mtime; a dead one lets it go stale.
    const firstMtime = mtimeOf(lockPath);
    const giveUpAt = Date.now() + LOCK_STALE_MS + LOCK_UPDATE_MS;
    while (!release) {
      if (Date.now() > giveUpAt) throw new DirLockedError(dir, readHolder(holderPath), label);
      await new Promise((r) => setTimeout(r, WATCH_MS));
      const m = mtimeOf(lockPath);
      if (m !== null && firstMtime !== null && m !== firstMtime) throw new DirLockedError(dir, readHolder(holderPath), label);
      release = await tryLock();
    }
  }

  heldHere.add(lockPath);
  const holder: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), what: opts.what };
  const tmp = `${holderPath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(holder));
  renameSync(tmp, holderPath);

  const releaseFn = release;
  let released: Promise<void> | null = null;
  return {
    lockPath,
    release() {
      released ??= (async () => {
        heldHere.delete(lockPath);
        try {
          unlinkSync(holderPath);
        } catch {
          /* already gone */
        }
        try {
          await releaseFn();
        } catch (err) {
          // Already released or compromised: nothing left to give back.
          if ((err as NodeJS.ErrnoException).code !== 'ERELEASED' && (err as NodeJS.ErrnoException).code !== 'ENOTACQUIRED') throw err;
        }
      })();
      return released;
    },
  };
}

function readHolder(path: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    if (typeof h.pid !== 'number' || typeof h.host !== 'string') return null;
    return { pid: h.pid, host: h.host, startedAt: String(h.startedAt ?? 'unknown'), what: String(h.what ?? 'process') };
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  // Our own pid in the holder file, with no lock held here: a previous process that had the same pid (containers: pid 1).
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function mtimeOf(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

function isStale(lockPath: string): boolean {
  const m = mtimeOf(lockPath);
  return m !== null && m < Date.now() - LOCK_STALE_MS;
}

function markStale(lockPath: string): void {
  try {
    const past = new Date(Date.now() - 10 * LOCK_STALE_MS);
    utimesSync(lockPath, past, past);
  } catch {
    /* gone meanwhile: the next attempt simply takes it */
  }
}
