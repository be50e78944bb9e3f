/**
 * One owner per directory (src/util/dir-lock.ts): a holder is refused to
 * others with its name; a lock left by a dead process does not block the
 * restart (same host: at once; elsewhere: once its mtime goes stale); a live
 * holder elsewhere (refreshing its lock) is told apart and refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DirLockedError, LOCK_STALE_MS, lockDir } from '../../src/util/dir-lock';
import { caught } from '../helpers/assert';
import { tempDirs } from '../helpers/tmp';

const newDir = tempDirs('dir-lock-');

/** What a killed holder leaves behind: the lock dir (fresh mtime) and its holder file. */
function leftBehind(dir: string, holder: { pid: number; host: string }): void {
  mkdirSync(join(dir, 'gateway.lock'));
  writeFileSync(join(dir, 'gateway.lock.json'), JSON.stringify({ ...holder, startedAt: '2026-01-01T00:00:00.000Z', what: 'gateway' }));
}

test('held: a second owner is refused with the holder named; after release it is free again', async () => {
  const dir = newDir();
  const lock = await lockDir(dir, 'gateway', { what: 'gateway', label: 'DATA_DIR' });
  const err = await caught(lockDir(dir, 'gateway', { what: 'gateway', label: 'DATA_DIR' }));
  expect(err).toBeInstanceOf(DirLockedError);
  expect(err.message).toMatch(new RegExp(`^DATA_DIR \\S+ is in use by gateway pid ${process.pid} on host ${hostname()}, started \\S+; stop it first`));
  await lock.release();
  await (await lockDir(dir, 'gateway', { what: 'gateway' })).release();
});

test('a lock left by a dead process on this host is taken over at once', async () => {
  const dir = newDir();
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  leftBehind(dir, { pid: dead, host: hostname() });
  const t0 = Date.now();
  const lock = await lockDir(dir, 'gateway', { what: 'gateway' });
  expect(Date.now() - t0).toBeLessThan(LOCK_STALE_MS / 2);
  await lock.release();
});

test('a running holder on this host is refused at once (no waiting for its next refresh)', async () => {
  const dir = newDir();
  leftBehind(dir, { pid: process.ppid, host: hostname() });
  const err = await caught(lockDir(dir, 'gateway', { what: 'gateway', label: 'DATA_DIR' }));
  expect(err.message).toContain(`in use by gateway pid ${process.ppid} on host ${hostname()}`);
});

test('a running pid with a stale lock (pid reused after a crash) does not block', async () => {
  const dir = newDir();
  leftBehind(dir, { pid: process.ppid, host: hostname() });
  const old = new Date(Date.now() - 2 * LOCK_STALE_MS);
  utimesSync(join(dir, 'gateway.lock'), old, old);
  await (await lockDir(dir, 'gateway', { what: 'gateway' })).release();
});

test('a holder on another host: refused while it refreshes the lock, taken over once the lock is stale', async () => {
  const refreshing = newDir();
  leftBehind(refreshing, { pid: 1, host: 'elsewhere' });
  const timer = setInterval(() => utimesSync(join(refreshing, 'gateway.lock'), new Date(), new Date()), 1000);
  try {
    const err = await caught(lockDir(refreshing, 'gateway', { what: 'gateway', label: 'DATA_DIR' }));
    expect(err.message).toContain('in use by gateway pid 1 on host elsewhere');
  } finally {
    clearInterval(timer);
  }

  const abandoned = newDir();
  leftBehind(abandoned, { pid: 1, host: 'elsewhere' });
  const t0 = Date.now();
  const lock = await lockDir(abandoned, 'gateway', { what: 'gateway' });
  expect(Date.now() - t0).toBeGreaterThanOrEqual(LOCK_STALE_MS - 1000);
  await lock.release();
}, 30_000);
