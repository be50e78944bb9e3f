import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { PollScheduler } from './pollers/scheduler';

/**
 * Prometheus metrics of one instance (`GET /metrics`). Per instance on
 * purpose: in a cluster, summing `idgw_polls_total` over instances shows the
 * one-poll-per-entity property directly.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly polls = new Counter({
    name: 'idgw_polls_total',
    help: 'Upstream polls run by this instance, by entity kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'idgw_events_dispatched_total',
    help: 'Event-log rows this instance dispatched to its local subscribers, by topic',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly subscriptions: Gauge;

  /** `subscriberCount` is read at scrape time. */
  constructor(subscriberCount: () => number = () => 0) {
    this.subscriptions = new Gauge({
      name: 'idgw_subscriptions',
      help: 'Live subscriptions on this instance',
      registers: [this.registry],
      collect() {
        this.set(subscriberCount());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'idgw_' });
  }
}


/** Counts every poll, whichever adapter runs it, without the flows knowing about metrics. */
export function meteredScheduler(inner: PollScheduler, metrics: Metrics): PollScheduler {
  return {
    register: (kind, handler) =>
      inner.register(kind, async (id) => {
        try {
          const r = await handler(id);
          metrics.polls.inc({ kind, outcome: r.done ? 'done' : r.changed ? 'changed' : 'unchanged' });
          return r;
        } catch (err) {
          metrics.polls.inc({ kind, outcome: 'error' });
          throw err;
        }
      }),
    watch: (kind, id, opts) => inner.watch(kind, id, opts),
    watchedCount: (kind) => inner.watchedCount(kind),
    cron: (name, pattern, handler) => inner.cron(name, pattern, handler),
    start: () => inner.start(),
    stop: () => inner.stop(),
    ...(inner.available ? { available: (ms: number) => inner.available!(ms) } : {}),
  };
}
