/**
 * OpenTelemetry spans, written by hand against `@opentelemetry/api` (no
 * auto-instrumentation: the spans that matter are few and ours, and patching
 * undici/pg/express would put URLs — which hold CPFs — and SQL into
 * attributes). Without a registered SDK every call here is a no-op; the SDK
 * is started by `startTracing` (`tracing-sdk.ts`) only when an OTLP endpoint
 * is configured or a test hands in an exporter.
 *
 * Attributes never carry a CPF, a token or a body: routes are templates,
 * entity ids are our UUIDs.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  createContextKey,
  isSpanContextValid,
  trace,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { forwardScheduler, type PollScheduler } from './pollers/scheduler';
import { routeLabel, type UpstreamObserver } from './upstreams/observer';

export const TRACER_NAME = 'identity-flows-gateway';

/** Looked up per use, not cached: a test may shut one SDK down and start another in the same process. */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Runs `fn` in a child span of the active one; records an exception and ends the span either way. */
export async function withSpan<T>(name: string, attributes: Record<string, string | number>, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, (span) => endAfter(span, () => fn(span)));
}

/** Ends `span` when `fn` settles; a throw marks it as an error (by class name only: messages may hold data). */
async function endAfter<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.setAttribute('error.type', err instanceof Error ? err.name : 'unknown');
    throw err;
  } finally {
    span.end();
  }
}

// ---- W3C traceparent (kept with a poll job so its spans can link back) -----

export function toTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & TraceFlags.SAMPLED ? 1 : 0).toString(16).padStart(2, '0')}`;
}

export function fromTraceparent(tp: string | undefined): SpanContext | null {
  const m = tp ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(tp) : null;
  if (!m) return null;
  const sc: SpanContext = { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true };
  return isSpanContextValid(sc) ? sc : null;
}

/** The active span as a traceparent, or undefined outside any (recorded) span. */
function activeTraceparent(): string | undefined {
  const sc = trace.getSpanContext(context.active());
  return sc && isSpanContextValid(sc) ? toTraceparent(sc) : undefined;
}

// ---- upstream requests -------------------------------------------------------

/** One CLIENT span per upstream HTTP attempt, child of whatever is active (a mutation, a poll). */
export const upstreamSpans: UpstreamObserver = {
  request(req) {
    const route = routeLabel(req.route);
    const span = tracer().startSpan(`${req.upstream} ${route}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'idgw.upstream': req.upstream,
        ...(req.station !== undefined ? { 'idgw.upstream.station': req.station } : {}),
        'http.request.method': req.method,
        'http.route': route,
      },
    });
    return (outcome) => {
      if ('status' in outcome) {
        span.setAttribute('http.response.status_code', outcome.status);
        if (outcome.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      } else {
        span.setAttribute('error.type', outcome.failure);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    };
  },
  unreadable(req) {
    // The request span has ended (it saw a 2xx); the caller's span learns why its call failed.
    trace.getActiveSpan()?.addEvent('upstream.unreadable_answer', { 'idgw.upstream': req.upstream, 'http.route': routeLabel(req.route) });
  },
  breaker() {
    // Breaker state is a gauge (metrics); a refused call still gets its span, with error.type=circuit_open.
  },
};

// ---- polls -------------------------------------------------------------------

/**
 * One span per poll job, a root of its own trace (a poll is not part of the
 * request that created the entity: it runs seconds to days later, maybe on
 * another instance), *linked* to the span that asked for the watch — the
 * creating mutation. The link target travels with the job (`traceparent` in
 * the in-process entry, in the BullMQ job data in Redis), so it survives a
 * hand-over between instances; the store-write spans under both carry
 * `idgw.event.seq`, which joins them to the event log.
 */
export function tracedScheduler(inner: PollScheduler): PollScheduler {
  return {
    ...forwardScheduler(inner),
    watch: (kind, id, opts) => inner.watch(kind, id, { ...opts, traceparent: opts?.traceparent ?? activeTraceparent() }),
    register: (kind, handler) =>
      inner.register(kind, (id, meta) => {
        const origin = fromTraceparent(meta?.traceparent);
        const links: Link[] = origin ? [{ context: origin, attributes: { 'idgw.link': 'watched_by' } }] : [];
        return tracer().startActiveSpan(
          `poll ${kind}`,
          { root: true, kind: SpanKind.INTERNAL, links, attributes: { 'idgw.poll.kind': kind, 'idgw.entity.id': id } },
          (span) =>
            endAfter(span, async () => {
              const r = await handler(id, meta);
              span.setAttribute('idgw.poll.outcome', r.upstreamFailed ? 'error' : r.done ? 'done' : r.changed ? 'changed' : 'unchanged');
              if (r.upstreamFailed) span.setStatus({ code: SpanStatusCode.ERROR });
              return r;
            }),
        );
      }),
  };
}

// ---- GraphQL operations ------------------------------------------------------

const GRAPHQL_SPAN = createContextKey('idgw.graphql.span');

/**
 * Starts the operation's SERVER span and makes it the active context for the
 * rest of the request, so the resolvers' upstream and store spans become its
 * children. Mounted after the body parser (whose stream callbacks would lose
 * the async context). Apollo plugin hooks cannot wrap execution in a context,
 * hence this middleware; `graphqlSpanPlugin` names and annotates the span.
 */
export function graphqlSpanMiddleware(): RequestHandler {
  return (req, res, next) => {
    const span = tracer().startSpan('graphql', { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', res.statusCode);
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    const ctx = trace.setSpan(context.active(), span).setValue(GRAPHQL_SPAN, span);
    context.with(ctx, () => next());
  };
}

/** Names the operation span `graphql.<operationType> <operationName>` and records its error codes (never variables). */
export function graphqlSpanPlugin<C extends object>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      const span = context.active().getValue(GRAPHQL_SPAN) as Span | undefined;
      if (!span) return {};
      return {
        async didResolveOperation(rc) {
          const type = rc.operation?.operation ?? 'unknown';
          const name = rc.operationName ?? 'anonymous';
          span.updateName(`graphql.${type} ${name}`);
          span.setAttributes({ 'graphql.operation.type': type, 'graphql.operation.name': name });
        },
        async willSendResponse(rc) {
          const codes = (rc.errors ?? []).map((e) => String(e.extensions?.['code'] ?? 'ERROR'));
          if (codes.length) {
            span.setAttribute('idgw.graphql.error_codes', codes);
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
        },
      };
    },
  };
}
