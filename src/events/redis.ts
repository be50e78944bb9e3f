import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSubEventTarget } from '@graphql-yoga/subscription';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import type { WakeupPubSub } from './bus';
import { withTimeout } from '../util/timeout';

type WakeupEvents = { 'events:wakeup': [seq: number] };

export interface RedisWakeups {
  pubsub: WakeupPubSub;
  /** Closes both Redis clients (subscriptions end with the connection). */
  close(): Promise<void>;
  /** Both clients answer a PING (for /readyz). */
  health(): Promise<boolean>;
}

/**
 * Cross-instance wake-ups over Redis pub/sub (at-most-once; the event bus's
 * safety tail covers a lost message). `@graphql-yoga/redis-event-target` uses
 * the pub/sub topic verbatim as the Redis channel (and ioredis `keyPrefix`
 * does not apply to channels), so the event target is wrapped to publish and
 * subscribe on `${channelPrefix}:${topic}` — two deployments or test runs on
 * one Redis do not see each other's wake-ups. The payload (the seq number)
 * goes through the target's JSON serializer, so it arrives as a number.
 */
export function createRedisWakeups(redisUrl: string, opts: { channelPrefix?: string; logger?: Logger | undefined } = {}): RedisWakeups {
  const prefix = opts.channelPrefix ?? 'idgw';
  const logger = opts.logger;
  // A wake-up is worth little late: fail at the first failed reconnect while Redis is away (the safety tail covers it).
  const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: 0 });
  const subscribeClient = new Redis(redisUrl);
  // ioredis reconnects by itself; without a listener an 'error' event would crash the process.
  publishClient.on('error', (err: Error) => logger?.debug({ err: err.message }, 'redis wake-up publisher error'));
  subscribeClient.on('error', (err: Error) => logger?.debug({ err: err.message }, 'redis wake-up subscriber error'));

  // The event target fires publish/subscribe without awaiting them: a rejection
  // there (Redis down) would be an unhandled rejection. Hand it clients whose
  // commands are caught; ioredis re-subscribes by itself after a reconnect.
  const lost = (what: string) => (err: unknown) => logger?.debug({ err: err instanceof Error ? err.message : String(err) }, `redis ${what} failed`);
  const safePublisher = { publish: (ch: string, msg: string) => publishClient.publish(ch, msg).catch(lost('publish')) };
  const safeSubscriber = {
    on: (ev: string, fn: (...args: unknown[]) => void) => subscribeClient.on(ev, fn),
    subscribe: (ch: string) => subscribeClient.subscribe(ch).catch(lost('subscribe')),
    unsubscribe: (ch: string) => subscribeClient.unsubscribe(ch).catch(lost('unsubscribe')),
  };
  const inner = createRedisEventTarget<CustomEvent>({ publishClient: safePublisher as unknown as Redis, subscribeClient: safeSubscriber as unknown as Redis });
  const channel = (topic: string) => `${prefix}:${topic}`;
  const eventTarget = {
    addEventListener(type: string, callback: unknown) {
      // The inner target keys callbacks by (channel, callback), so removal with the same callback works.
      inner.addEventListener(channel(type), callback as never);
    },
    removeEventListener(type: string, callback: unknown) {
      inner.removeEventListener(channel(type), callback as never);
    },
    dispatchEvent(event: CustomEvent) {
      return inner.dispatchEvent(new CustomEvent(channel(event.type), { detail: event.detail }));
    },
  } as unknown as PubSubEventTarget<WakeupEvents>;

  const pubsub = createPubSub<WakeupEvents>({ eventTarget });

  const quit = async (c: Redis) => {
    if (c.status === 'end') return;
    try {
      await c.quit();
    } catch {
      c.disconnect();
    }
  };

  return {
    pubsub,
    async close() {
      await Promise.all([quit(publishClient), quit(subscribeClient)]);
    },
    async health() {
      try {
        // A subscriber-mode connection only accepts (P)SUBSCRIBE/PING/QUIT; PING is allowed there.
        const [a, b] = await Promise.all([withTimeout(publishClient.ping(), 2000, 'redis ping'), withTimeout(subscribeClient.ping(), 2000, 'redis ping')]);
        return a === 'PONG' && (b === 'PONG' || (Array.isArray(b) && b[0] === 'pong'));
      } catch {
        return false;
      }
    },
  };
}
