import type { Logger } from 'pino';
import type { AuthUser } from '../src/auth/jwt';
import type { CaptureService } from '../src/flows/capture.service';
import type { Idempotency } from '../src/flows/idempotency';
import type { MutationRateLimiter } from '../src/server/rate-limit';
import type { MessagesService } from '../src/flows/messages.service';
import type { ProofOfLifeService } from '../src/flows/proof-of-life.service';
import type { PrivacyService } from '../src/flows/privacy.service';
import type { StationsService } from '../src/flows/stations.service';
import type { EventBus } from '../src/events/bus';
import type { Store } from '../src/store/store';
import { createLoaders, type Loaders } from './loaders';

export interface Services {
  store: Store;
  bus: EventBus;
  proofOfLife: ProofOfLifeService;
  messages: MessagesService;
  captures: CaptureService;
  /** Station state as recorded (never asks a station). */
  stations: StationsService;
  idempotency: Idempotency;
  rateLimiter: MutationRateLimiter;
  logger: Logger;
  privacy: PrivacyService;
}

/** Transport facts a resolver may need: the caller's address (rate limits, audit) and the Idempotency-Key header. */
export interface RequestMeta {
  ip: string | null;
  idempotencyKey: string | null;
  /** graphql-ws `connectionParams.afterSeq`: the resume point of this socket's subscriptions that give no `afterSeq` of their own. */
  afterSeq?: number | null;
  /** `CaptureReport.downloadUrl` for this caller: a signed link, or null when they may not download it (src/server/reports.ts). */
  reportUrl?: (captureId: string, stationId: string) => string | null;
}

/** Built per HTTP request, and per subscription operation (whose loaders are renewed per event). */
export interface Context {
  user: AuthUser | null;
  loaders: Loaders;
  services: Services;
  request: RequestMeta;
  /** The event-log head read before this request's resolvers ran (when it asks for `eventCursor`). */
  eventCursor?: number;
  /**
   * Fresh DataLoaders. Subscription resolvers call it for every event: a
   * socket lives for hours and its cache would serve stale rows.
   */
  renewLoaders(): void;
}

export function createContext(user: AuthUser | null, services: Services, request: RequestMeta = { ip: null, idempotencyKey: null }): Context {
  // Loaders are made on first use: a subscription's context only authorizes and filters at subscribe (its
  // fan-out group executes with one shared context), and ten DataLoaders per subscriber were ~5 KB of
  // garbage at every connect, promoted to the old generation (bench/fanout/heap.ts).
  let loaders: Loaders | null = null;
  return {
    user,
    services,
    request,
    get loaders(): Loaders {
      return (loaders ??= createLoaders(services.store, services.stations));
    },
    set loaders(l: Loaders) {
      loaders = l;
    },
    renewLoaders() {
      loaders = null;
    },
  };
}
