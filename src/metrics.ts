import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { forwardScheduler, type PollScheduler } from './pollers/scheduler';
import { routeLabel, type BreakerState, type UpstreamObserver, type UpstreamOutcome, type UpstreamRequest, type UpstreamTarget } from './upstreams/observer';
import { withTimeout } from './util/timeout';

/** What the gauges read at scrape time. Each is optional: a missing source leaves its metric empty. */
export interface MetricsSources {
  /** Live subscriptions on this instance. */
  subscriberCount?: () => number;
  /** Event-log positions: the store's head and the last seq this instance's bus dispatched. */
  eventLog?: () => Promise<{ head: number; dispatched: number }>;
  /** Events queued for subscribers that have not consumed them yet. */
  subscriberQueues?: () => { max: number; total: number };
  /** Poll/cron jobs by state (BullMQ job counts, or the in-process scheduler's timers). */
  jobCounts?: () => Promise<Record<string, number>>;
}

/** A scrape must answer even when the store or Redis does not. */
const SCRAPE_READ_MS = 1000;

/** Gauge value of a breaker state: 0 closed, 1 half-open, 2 open (isolated = held open). */
const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2, isolated: 2 };

function statusClass(outcome: UpstreamOutcome): string {
  return 'status' in outcome ? `${Math.floor(outcome.status / 100)}xx` : outcome.failure;
}

/** Which outcomes are upstream *faults* (4xx answers are the upstream's decisions, not faults). */
function errorKind(outcome: UpstreamOutcome): string | null {
  if (!('status' in outcome)) return outcome.failure;
  const s = outcome.status;
  return s >= 500 || s === 429 || s === 408 ? 'server_error' : null;
}

function targetLabels(t: UpstreamTarget): { upstream: string; station?: string } {
  return t.station === undefined ? { upstream: t.upstream } : { upstream: t.upstream, station: t.station };
}

/**
 * Prometheus metrics of one instance (`GET /metrics`). Per instance on
 * purpose: in a cluster, summing `idgw_polls_total` over instances shows the
 * one-poll-per-entity property directly. Labels never carry ids or CPFs.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly polls = new Counter({
    name: 'idgw_polls_total',
    help: 'Upstream polls run by this instance, by entity kind and outcome (done, changed, unchanged, error)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'idgw_events_dispatched_total',
    help: 'Event-log rows this instance dispatched to its local subscribers, by topic',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly upstreamDuration = new Histogram({
    name: 'idgw_upstream_request_duration_seconds',
    help: 'Upstream HTTP attempts: duration by upstream, station (SPID), route template and status class (2xx..5xx, timeout, network, malformed)',
    labelNames: ['upstream', 'station', 'route', 'status_class'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
    registers: [this.registry],
  });
  readonly upstreamErrors = new Counter({
    name: 'idgw_upstream_errors_total',
    help: 'Upstream faults by upstream, station, route template and kind (server_error, timeout, network, malformed, circuit_open)',
    labelNames: ['upstream', 'station', 'route', 'kind'] as const,
    registers: [this.registry],
  });
  readonly circuitState = new Gauge({
    name: 'idgw_upstream_circuit_state',
    help: 'Circuit breaker state per upstream and station: 0 closed, 1 half-open, 2 open',
    labelNames: ['upstream', 'station'] as const,
    registers: [this.registry],
  });
  readonly circuitOpened = new Counter({
    name: 'idgw_upstream_circuit_opened_total',
    help: 'Times a circuit breaker opened (an opening between two scrapes still shows here)',
    labelNames: ['upstream', 'station'] as const,
    registers: [this.registry],
  });
  readonly jobsStalled = new Counter({
    name: 'idgw_jobs_stalled_total',
    help: 'BullMQ jobs this instance found stalled (their instance died or blocked past the lock)',
    registers: [this.registry],
  });

  constructor(sources: MetricsSources = {}) {
    const registers = [this.registry];
    new Gauge({
      name: 'idgw_subscriptions',
      help: 'Live subscriptions on this instance',
      registers,
      collect() {
        this.set(sources.subscriberCount?.() ?? 0);
      },
    });
    // One read serves the three event-log gauges of a scrape.
    let logRead: Promise<{ head: number; dispatched: number } | null> | null = null;
    const readLog = () => {
      logRead ??= (sources.eventLog ? withTimeout(sources.eventLog(), SCRAPE_READ_MS, 'event log read') : Promise.reject(new Error('no source')))
        .catch(() => null)
        .finally(() => setImmediate(() => (logRead = null)));
      return logRead;
    };
    const logGauge = (name: string, help: string, pick: (l: { head: number; dispatched: number }) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const l = await readLog();
          // Unknown (store down) is NaN, not a reassuring 0.
          this.set(l ? pick(l) : Number.NaN);
        },
      });
    logGauge('idgw_event_log_head_seq', 'Highest seq in the event log (store)', (l) => l.head);
    logGauge('idgw_event_log_dispatched_seq', 'Highest seq this instance dispatched to its subscribers', (l) => l.dispatched);
    logGauge('idgw_event_log_lag', 'Event-log rows not yet dispatched by this instance (head seq - dispatched seq)', (l) => Math.max(0, l.head - l.dispatched));
    new Gauge({
      name: 'idgw_subscriber_queue_depth_max',
      help: 'Events queued for the slowest subscriber on this instance',
      registers,
      collect() {
        this.set(sources.subscriberQueues?.().max ?? 0);
      },
    });
    new Gauge({
      name: 'idgw_subscriber_queued_events',
      help: 'Events queued for all subscribers on this instance',
      registers,
      collect() {
        this.set(sources.subscriberQueues?.().total ?? 0);
      },
    });
    new Gauge({
      name: 'idgw_job_queue_jobs',
      help: 'Poll and cron jobs by state (BullMQ: wait, active, delayed, prioritized, failed; in-process: scheduled, running)',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        this.reset();
        if (!sources.jobCounts) return;
        try {
          const counts = await withTimeout(sources.jobCounts(), SCRAPE_READ_MS, 'job counts');
          for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
        } catch {
          // Queue unreachable: no series rather than a stale one (/readyz says why).
        }
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'idgw_' });
  }

  /** Feeds the upstream histograms, error counters and breaker gauges from the clients. */
  readonly upstream: UpstreamObserver = {
    request: (req: UpstreamRequest) => {
      const end = this.upstreamDuration.startTimer();
      return (outcome) => {
        const labels = { ...targetLabels(req), route: routeLabel(req.route) };
        // A call refused by an open breaker sent nothing: no latency to record.
        if (!('failure' in outcome && outcome.failure === 'circuit_open')) end({ ...labels, status_class: statusClass(outcome) });
        const kind = errorKind(outcome);
        if (kind) this.upstreamErrors.inc({ ...labels, kind });
      };
    },
    unreadable: (req) => this.upstreamErrors.inc({ ...targetLabels(req), route: routeLabel(req.route), kind: 'malformed' }),
    breaker: (target, state) => {
      const labels = targetLabels(target);
      this.circuitState.set(labels, BREAKER_VALUE[state]);
      if (state === 'open') this.circuitOpened.inc(labels);
    },
  };
}

/** Counts every poll, whichever adapter runs it, without the flows knowing about metrics. */
export function meteredScheduler(inner: PollScheduler, metrics: Metrics): PollScheduler {
  return {
    ...forwardScheduler(inner),
    register: (kind, handler) =>
      inner.register(kind, async (id, meta) => {
        try {
          const r = await handler(id, meta);
          // A failed upstream read is an error even when the handler went on to record something (an expiry).
          metrics.polls.inc({ kind, outcome: r.upstreamFailed ? 'error' : r.done ? 'done' : r.changed ? 'changed' : 'unchanged' });
          return r;
        } catch (err) {
          metrics.polls.inc({ kind, outcome: 'error' });
          throw err;
        }
      }),
  };
}
