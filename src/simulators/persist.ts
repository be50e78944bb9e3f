import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockDir, type DirLock } from '../util/dir-lock';

/** Changes within this window are written together (a burst of creates costs one write). */
const DEBOUNCE_MS = 20;

/**
 * A simulator's state on disk, so that a restart — kill -9 included — finds
 * every open flow where the upstream would have it: `<dir>/<name>.json`,
 * written whole to a temp file and renamed over the old one (a reader or a
 * crash never sees half a file), debounced. A request that changed something
 * is answered only after the write that contains its change (`commit`), as a
 * real upstream answers after its commit: what the gateway was told exists
 * survives. Page cache only (no fsync): survives a process crash, not a power
 * loss. One process per file, locked like `DATA_DIR` (`src/util/dir-lock.ts`).
 */
export class SimStateFile<S> {
  private timer: NodeJS.Timeout | null = null;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private closed = false;

  private constructor(
    private readonly path: string,
    private readonly lock: DirLock,
    private readonly snapshot: () => S,
  ) {}

  static async open<S>(dir: string, name: string, what: string, snapshot: () => S): Promise<SimStateFile<S>> {
    let file: SimStateFile<S> | null = null;
    // Lost lock (a stall past the stale time): another process may own the file now; stop writing it.
    const lock = await lockDir(dir, name, { what, label: 'simulator state dir', onLost: () => file?.stopWriting() });
    file = new SimStateFile(join(dir, `${name}.json`), lock, snapshot);
    return file;
  }

  private stopWriting(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.waiters.splice(0)) w.reject(new Error('simulator state file lock lost'));
  }

  /** The state written by the last run, or null on a first start. */
  load(): S | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return JSON.parse(text) as S;
  }

  /** Something changed (a timer fired): write soon. */
  touch(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => this.writeNow(), DEBOUNCE_MS);
    this.timer.unref();
  }

  /** Something changed on a request: resolves once it is on disk (answer the request after this). */
  commit(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.touch();
    });
  }

  /** Final write, then the lock is released; later changes are not saved. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.writeNow();
    this.closed = true;
    await this.lock.release();
  }

  private writeNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const waiters = this.waiters.splice(0);
    try {
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.snapshot()));
      renameSync(tmp, this.path);
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }
}
