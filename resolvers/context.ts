import type { Logger } from 'pino';
import type { AuthUser } from '../src/auth/jwt';
import type { CaptureService } from '../src/flows/capture.service';
import type { MessagesService } from '../src/flows/messages.service';
import type { ProofOfLifeService } from '../src/flows/proof-of-life.service';
import type { EventBus } from '../src/events/bus';
import type { Store } from '../src/store/store';
import { createLoaders, type Loaders } from './loaders';

export interface Services {
  store: Store;
  bus: EventBus;
  proofOfLife: ProofOfLifeService;
  messages: MessagesService;
  captures: CaptureService;
  logger: Logger;
}

/** Built per HTTP request, and per subscription operation (whose loaders are renewed per event). */
export interface Context {
  user: AuthUser | null;
  loaders: Loaders;
  services: Services;
  /**
   * Fresh DataLoaders. Subscription resolvers call it for every event: a
   * socket lives for hours and its cache would serve stale rows.
   */
  renewLoaders(): void;
}

export function createContext(user: AuthUser | null, services: Services): Context {
  const ctx: Context = {
    user,
    services,
    loaders: createLoaders(services.store),
    renewLoaders() {
      ctx.loaders = createLoaders(services.store);
    },
  };
  return ctx;
}
