import { createPubSub } from '@graphql-yoga/subscription';
import type { WakeupPubSub } from './bus';

/** In-process wake-ups: one instance, nothing to lose in transit. */
export function createMemoryWakeups(): WakeupPubSub {
  return createPubSub<{ 'events:wakeup': [seq: number] }>();
}
