/**
 * The plumbing under every Prova de Vida call: one undici Pool with
 * keep-alive, a per-attempt timeout, retries for reads and one circuit
 * breaker for all calls. One `send` is one HTTP attempt, reported to the
 * observer; a failure leaves here only as a `TransientFailure`, whose kind is
 * logged but never a host, body or token.
 */
import {
  ConsecutiveBreaker,
  ExponentialBackoff,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import { observed, watchBreaker, type UpstreamObserver } from '../observer';
import { TransientFailure, UPSTREAM, errorCode, failureOutcome, isTransient, networkKind } from './failures';

/** Bodies above this are not what the API documents; reading on would only cost memory. */
const MAX_BODY_BYTES = 1024 * 1024;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RawResponse {
  status: number;
  text: string;
}

/** The client's options with their defaults applied (documented on `ProvaDeVidaClientOptions`). */
export interface TransportSettings {
  origin: string;
  /** The base URL's path without trailing slash, put before every request path. */
  prefix: string;
  requestTimeoutMs: number;
  connections: number;
  /** `maxAttempts` counts the first try. */
  retry: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number };
  circuitBreaker: { threshold: number; halfOpenAfterMs: number };
  log: Logger | undefined;
  observer: UpstreamObserver | undefined;
}

export interface Transport {
  /** One HTTP attempt under the timeout, reported to the observer. */
  send(method: HttpMethod, path: string, authorization: string, body: unknown, route: string): Promise<RawResponse>;
  /** Retries around the breaker, for idempotent reads. */
  readPolicy: IPolicy;
  /** The breaker alone. */
  writePolicy: IPolicy;
  /** Drops the policy subscriptions, then closes the pool. */
  close(): Promise<void>;
}

export function createTransport(settings: TransportSettings): Transport {
  const { prefix, requestTimeoutMs, log } = settings;
  const pool = new Pool(settings.origin, {
    connections: settings.connections,
    headersTimeout: requestTimeoutMs,
    bodyTimeout: requestTimeoutMs,
    keepAliveTimeout: 30_000,
  });

  // --- policies ------------------------------------------------------------

  // Cooperative: the signal is handed to undici, which aborts the socket read,
  // so a late body cannot arrive after we already reported a timeout.
  const timeoutPolicy = timeout(requestTimeoutMs, TimeoutStrategy.Cooperative);
  const breaker = circuitBreaker(handleWhen(isTransient), {
    halfOpenAfter: settings.circuitBreaker.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(settings.circuitBreaker.threshold),
  });
  const retryPolicy = retry(handleWhen(isTransient), {
    maxAttempts: Math.max(0, settings.retry.maxAttempts - 1),
    backoff: new ExponentialBackoff({
      initialDelay: settings.retry.initialDelayMs,
      maxDelay: settings.retry.maxDelayMs,
    }),
  });
  const readPolicy: IPolicy = wrap(retryPolicy, breaker);
  // Creating a transaction or sending a message notifies the citizen: a lost
  // answer does not mean a lost request, so writes are never retried.
  const writePolicy: IPolicy = breaker;

  const subscriptions = [
    breaker.onBreak(() => log?.warn({ event: 'circuit_open' }, 'Prova de Vida circuit opened')),
    breaker.onReset(() => log?.info({ event: 'circuit_closed' }, 'Prova de Vida circuit closed')),
    retryPolicy.onRetry((e) =>
      log?.warn(
        {
          event: 'retry',
          attempt: e.attempt,
          delayMs: Math.round(e.delay),
          failure: 'error' in e && e.error instanceof TransientFailure ? e.error.kind : 'unknown',
        },
        'retrying Prova de Vida read',
      ),
    ),
    watchBreaker(settings.observer, { upstream: UPSTREAM }, breaker),
  ];

  // --- HTTP ----------------------------------------------------------------

  async function rawSend(
    method: HttpMethod,
    path: string,
    authorization: string,
    body: unknown,
    route: string,
    signal: AbortSignal,
  ): Promise<RawResponse> {
    const started = performance.now();
    const headers: Record<string, string> = {
      authorization,
      accept: 'application/json, text/plain;q=0.9, */*;q=0.1',
    };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    try {
      const res = await pool.request({ path: prefix + path, method, headers, body: payload, signal });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        size += buf.length;
        if (size > MAX_BODY_BYTES) {
          res.body.destroy();
          throw new TransientFailure('malformed');
        }
        chunks.push(buf);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      log?.debug({ event: 'request', method, route, status: res.statusCode, ms: Math.round(performance.now() - started) });
      return { status: res.statusCode, text };
    } catch (err) {
      if (err instanceof TransientFailure) throw err;
      const kind = networkKind(err, signal);
      log?.warn(
        { event: 'request_failed', method, route, failure: kind, code: errorCode(err), ms: Math.round(performance.now() - started) },
        'Prova de Vida request failed',
      );
      throw new TransientFailure(kind);
    }
  }

  function send(method: HttpMethod, path: string, authorization: string, body: unknown, route: string): Promise<RawResponse> {
    return observed(
      settings.observer,
      { upstream: UPSTREAM, method, route },
      async (report) => {
        const res = await timeoutPolicy.execute(({ signal }) => rawSend(method, path, authorization, body, route, signal));
        report({ status: res.status });
        return res;
      },
      failureOutcome,
    );
  }

  return {
    send,
    readPolicy,
    writePolicy,
    async close() {
      for (const s of subscriptions) s.dispose();
      await pool.close();
    },
  };
}
