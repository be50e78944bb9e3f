import { withTimeout } from './util/timeout';

/**
 * A dependency named by an environment variable could not be reached at
 * boot. Its message is one line naming the variable, never the URL (it may
 * hold credentials).
 */
export class UnreachableDependencyError extends Error {
  constructor(
    readonly variable: string,
    service: string,
    cause?: unknown,
  ) {
    const code = cause && typeof cause === 'object' ? (cause as { code?: unknown }).code : undefined;
    super(`${variable}: ${service} is unreachable${typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? ` (${code})` : ''}`);
  }
}

/**
 * One PING with no retries, bounded by `timeoutMs`: at boot an unreachable
 * Redis must stop the process at once instead of ioredis retrying forever.
 */
export async function probeRedis(url: string, timeoutMs = 2000): Promise<void> {
  // Loaded here, not at the top: the embedded default never loads ioredis (see `load` in src/app.ts).
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let last: unknown;
  client.on('error', (err) => (last = err));
  try {
    // A host that accepts TCP and never answers passes ioredis' connect timeout: bound the whole probe.
    await withTimeout(
      client.connect().then(() => client.ping()),
      timeoutMs,
      'redis probe',
    );
  } catch (err) {
    throw new UnreachableDependencyError('REDIS_URL', 'Redis', last ?? err);
  } finally {
    client.disconnect();
  }
}
