/**
 * What an upstream client tells the outside about its traffic: one call per
 * HTTP attempt, and every circuit-breaker transition. The clients own the
 * request path, so they report; what is done with it (Prometheus metrics,
 * OpenTelemetry spans) lives outside `src/upstreams/`, which therefore
 * imports neither prom-client nor an OTel SDK.
 *
 * Nothing here may carry a CPF, a token, an id or a body: `route` is the
 * client's path *template* (`GET /api/:version/transacoes/:id`), never the
 * real path.
 */
import { CircuitState, type CircuitBreakerPolicy } from 'cockatiel';

export type UpstreamName = 'provaDeVida' | 'spid';

export interface UpstreamTarget {
  upstream: UpstreamName;
  /** SPID station id; absent for Prova de Vida. */
  station?: string | undefined;
}

export interface UpstreamRequest extends UpstreamTarget {
  method: string;
  /** Path template, e.g. `GET /capture/result/{tguid}`. */
  route: string;
}

/**
 * How one attempt ended: the HTTP status when an answer arrived, or why none
 * did. `circuit_open` = refused locally by the breaker, no request was sent.
 */
export type UpstreamOutcome =
  | { status: number }
  | { failure: 'timeout' | 'network' | 'malformed' | 'circuit_open' };

export type BreakerState = 'closed' | 'half_open' | 'open' | 'isolated';

export interface UpstreamObserver {
  /** An attempt starts; the returned function must be called exactly once when it ends. */
  request(req: UpstreamRequest): (outcome: UpstreamOutcome) => void;
  /** A 2xx answer could not be read (not JSON, not the documented shape): a fault its status does not show. */
  unreadable(req: UpstreamRequest): void;
  /** The breaker of `target` is now in `state` (also called once at creation, with `closed`). */
  breaker(target: UpstreamTarget, state: BreakerState): void;
}

/** Route templates in one style, `{name}`: the clients write `:id` (Prova de Vida) or `{cpf}` (SPID). */
export function routeLabel(route: string): string {
  return route.replace(/:([A-Za-z_]+)/g, '{$1}');
}

/** cockatiel's `CircuitState` in our words. */
export function breakerStateName(state: CircuitState): BreakerState {
  switch (state) {
    case CircuitState.Open:
      return 'open';
    case CircuitState.HalfOpen:
      return 'half_open';
    case CircuitState.Isolated:
      return 'isolated';
    default:
      return 'closed';
  }
}

/** Reports `breaker`'s state now and at every transition; returns the unsubscribe. */
export function watchBreaker(observer: UpstreamObserver | undefined, target: UpstreamTarget, breaker: CircuitBreakerPolicy): { dispose(): void } {
  if (!observer) return { dispose: () => undefined };
  observer.breaker(target, breakerStateName(breaker.state));
  return breaker.onStateChange((s) => observer.breaker(target, breakerStateName(s)));
}

/** Runs a 2xx answer's parser; a failure that `isUnreadable` recognises is reported before it propagates. */
export function parseObserved<T>(observer: UpstreamObserver | undefined, req: UpstreamRequest, parse: () => T, isUnreadable: (err: unknown) => boolean): T {
  try {
    return parse();
  } catch (err) {
    if (observer && isUnreadable(err)) observer.unreadable(req);
    throw err;
  }
}

/** Calls `end` once whatever happens; lets a client report without try/finally noise. */
export async function observed<T>(
  observer: UpstreamObserver | undefined,
  req: UpstreamRequest,
  run: (report: (outcome: UpstreamOutcome) => void) => Promise<T>,
  failureOf: (err: unknown) => UpstreamOutcome,
): Promise<T> {
  if (!observer) return run(() => undefined);
  const end = observer.request(req);
  let reported = false;
  const report = (o: UpstreamOutcome) => {
    if (reported) return;
    reported = true;
    end(o);
  };
  try {
    return await run(report);
  } catch (err) {
    report(failureOf(err));
    throw err;
  }
}

/** Tells every observer (metrics and spans) about the same traffic. */
export function combineObservers(...observers: UpstreamObserver[]): UpstreamObserver {
  return {
    request: (req) => {
      const ends = observers.map((o) => o.request(req));
      return (outcome) => ends.forEach((end) => end(outcome));
    },
    unreadable: (req) => observers.forEach((o) => o.unreadable(req)),
    breaker: (target, state) => observers.forEach((o) => o.breaker(target, state)),
  };
}
