import type { Logger } from 'pino';
import type { AuthUser } from '../src/auth/jwt';
import type { MessagesService } from '../src/flows/messages.service';
import type { ProofOfLifeService } from '../src/flows/proof-of-life.service';
import type { EventBus } from '../src/events/bus';
import type { Store } from '../src/store/store';
import type { Loaders } from './loaders';

export interface Services {
  store: Store;
  bus: EventBus;
  proofOfLife: ProofOfLifeService;
  messages: MessagesService;
  logger: Logger;
}

/** Built per HTTP request, and per event inside a subscription (so DataLoader caches never go stale). */
export interface Context {
  user: AuthUser | null;
  loaders: Loaders;
  services: Services;
}
