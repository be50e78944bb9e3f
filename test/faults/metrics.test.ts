/**
 * Faults visible on `/metrics` (issue 8, item 8): a started gateway against
 * the Prova de Vida and SPID simulators on loopback, faults injected through
 * the simulators' control APIs, everything read over real HTTP from
 * `GET /metrics`. One gateway for the file; the tests run in order (healthy
 * first, then the outage and its recovery).
 */
import { RequestProofOfLifeDocument, StationDocument, StationStateDocument } from '../__generated__/graphql';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { PdvSim, SpidSim, TestGateway, eventually } from '../helpers/gateway';
import { metricValue, scrape, type Sample } from '../helpers/metrics';
import { rawKey } from '../helpers/ids';

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;

beforeAll(async () => {
  // Nobody answers: the transaction stays PENDING and is polled for the whole file.
  pdv = await PdvSim.start({ answerAfterMs: 600_000 });
  spid = await SpidSim.start({ stations: 2 });
  // Stations are read by their pollers (Login Status), not per request: poll them often here.
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv, env: { STATION_POLL_INTERVAL_MS: '300' } });
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await spid?.close();
  await pdv?.close();
});

const POLL_ROUTE = 'GET /api/{version}/transacoes/{id}';
const pdvState = (s: Sample[]) => metricValue(s, 'idgw_upstream_circuit_state', { upstream: 'provaDeVida' });
const polls = (s: Sample[], outcome: string) => metricValue(s, 'idgw_polls_total', { kind: 'transaction', outcome }) ?? 0;

/** Scrapes until `pred` holds on the samples; returns them. */
async function scrapeUntil(pred: (s: Sample[]) => boolean, timeoutMs = 15_000): Promise<Sample[]> {
  return eventually(async () => {
    const { samples } = await scrape(gw.url);
    return pred(samples) ? samples : null;
  }, timeoutMs, 100);
}

let transactionId: string;

test('healthy: upstream histograms by route template, event-log lag, subscriber and job queue depths, with exact values', async () => {
  // A subscription nobody consumes: every matching event stays in its queue.
  const stuck = gw.gw.bus.subscribe({ topic: 'transaction' }, null);
  const t = (await gw.done(RequestProofOfLifeDocument, { input: { cpf: CPF.neverAnswers, reason: 'Benefício previdenciário' } })).requestProofOfLife;
  transactionId = t.id;
  // Two events for one request: the intent row (REQUESTING), then REQUESTED.
  const samples = await scrapeUntil((s) => metricValue(s, 'idgw_subscriber_queued_events') === 2 && metricValue(s, 'idgw_event_log_lag') === 0);
  const { text } = await scrape(gw.url);

  // One create, answered 201: one observation under the route template, none under anything holding the id.
  expect(metricValue(samples, 'idgw_upstream_request_duration_seconds_count', { upstream: 'provaDeVida', route: 'POST /api/vbeta4/transacoes', status_class: '2xx' })).toBe(1);
  const sum = metricValue(samples, 'idgw_upstream_request_duration_seconds_sum', { upstream: 'provaDeVida', route: 'POST /api/vbeta4/transacoes' })!;
  expect(sum).toBeGreaterThan(0);
  expect(sum).toBeLessThan(5);
  expect(text).not.toContain(rawKey(t.id));
  expect(text).not.toContain(t.id);
  expect(text).not.toContain(CPF.neverAnswers);
  expect(text).not.toContain('100.000.006-04');
  expect(metricValue(samples, 'idgw_upstream_errors_total', { upstream: 'provaDeVida' })).toBeNull();
  // Every breaker is reported from the start, closed: Prova de Vida and each station.
  expect(pdvState(samples)).toBe(0);
  expect(metricValue(samples, 'idgw_upstream_circuit_state', { upstream: 'spid', station: 'station-1' })).toBe(0);
  expect(metricValue(samples, 'idgw_upstream_circuit_state', { upstream: 'spid', station: 'station-2' })).toBe(0);

  // Event log: head = the store's last seq, all of it dispatched.
  const head = await gw.gw.store.latestSeq();
  expect(head).toBeGreaterThanOrEqual(1);
  expect(metricValue(samples, 'idgw_event_log_head_seq')).toBe(head);
  expect(metricValue(samples, 'idgw_event_log_dispatched_seq')).toBe(head);

  // The unconsumed subscription holds exactly the REQUESTED event.
  expect(metricValue(samples, 'idgw_subscriber_queue_depth_max')).toBe(2);
  expect(metricValue(samples, 'idgw_subscriptions')).toBe(1);
  // One open transaction = one scheduled poll (the in-process scheduler's timers), plus one per station.
  const jobs = (metricValue(samples, 'idgw_job_queue_jobs', { state: 'scheduled' }) ?? 0) + (metricValue(samples, 'idgw_job_queue_jobs', { state: 'running' }) ?? 0);
  expect(jobs).toBe(1 + 2);

  await stuck.return!();
  const after = await scrapeUntil((s) => metricValue(s, 'idgw_subscriptions') === 0);
  expect(metricValue(after, 'idgw_subscriber_queued_events')).toBe(0);
});

test('upstream outage: every failed poll counts as error (none as unchanged), the breaker opens, and closes after recovery', async () => {
  expect(transactionId).toBeDefined();
  await scrapeUntil((s) => polls(s, 'unchanged') >= 1);
  await pdv.control('POST', '/faults', { route: 'GET /api/:version/transacoes/:id', kind: 'status', status: 503, count: -1 });
  const injectedAt = Date.now();

  const opened = await scrapeUntil((s) => pdvState(s) === 2);
  const openedAfterMs = Date.now() - injectedAt;
  const unchangedDuringOutage = polls(opened, 'unchanged');
  const errorsAtOpen = polls(opened, 'error');
  expect(errorsAtOpen).toBeGreaterThanOrEqual(1);
  // Polls go on during the outage (refused by the open breaker): errors grow, unchanged does not move.
  const later = await scrapeUntil((s) => polls(s, 'error') >= errorsAtOpen + 2);
  expect(polls(later, 'unchanged')).toBe(unchangedDuringOutage);
  expect(metricValue(later, 'idgw_upstream_circuit_opened_total', { upstream: 'provaDeVida' })).toBe(1);
  // Five consecutive 503s open the breaker (threshold 5); later polls are refused without a request.
  expect(metricValue(later, 'idgw_upstream_errors_total', { upstream: 'provaDeVida', route: POLL_ROUTE, kind: 'server_error' })).toBe(5);
  expect(metricValue(later, 'idgw_upstream_request_duration_seconds_count', { upstream: 'provaDeVida', route: POLL_ROUTE, status_class: '5xx' })).toBe(5);
  expect(metricValue(later, 'idgw_upstream_errors_total', { upstream: 'provaDeVida', route: POLL_ROUTE, kind: 'circuit_open' })).toBeGreaterThanOrEqual(2);

  await pdv.control('DELETE', '/faults');
  const clearedAt = Date.now();
  // The breaker tries again after halfOpenAfter (10 s); the next poll succeeds and closes it.
  const closed = await scrapeUntil((s) => pdvState(s) === 0 && polls(s, 'unchanged') > unchangedDuringOutage, 25_000);
  const closedAfterMs = Date.now() - clearedAt;
  expect(metricValue(closed, 'idgw_upstream_circuit_opened_total', { upstream: 'provaDeVida' })).toBe(1);
  process.stdout.write(`metrics: breaker open ${openedAfterMs} ms after the fault; closed ${closedAfterMs} ms after it cleared\n`);
}, 60_000);

test('a failing SPID station opens its own breaker only; the other station stays closed', async () => {
  await spid.control('POST', '/faults', { station: 'station-1', route: 'GET /login/status', kind: 'status', status: 503 });
  const s1 = { upstream: 'spid', station: 'station-1' };
  // The station's poller reads Login Status: the first failed poll (3 attempts) records it offline, the next opens the breaker.
  // The refusal by the open breaker is recorded a retry backoff (or a poll tick) after the gauge flips: wait for both.
  const circuitOpen = (s: Sample[]) => metricValue(s, 'idgw_upstream_errors_total', { ...s1, route: 'GET /login/status', kind: 'circuit_open' }) ?? 0;
  const samples = await scrapeUntil((s) => metricValue(s, 'idgw_upstream_circuit_state', s1) === 2 && circuitOpen(s) >= 1, 30_000);
  expect((await gw.ok(StationDocument, { id: 'station-1' }, 'viewer')).station?.online).toBe(false);
  expect(metricValue(samples, 'idgw_upstream_circuit_state', { upstream: 'spid', station: 'station-2' })).toBe(0);
  // 3 attempts (2 retries) of the first read, 2 of the second before the 5th failure opens the breaker, whose refusal ends the retries.
  expect(metricValue(samples, 'idgw_upstream_errors_total', { ...s1, route: 'GET /login/status', kind: 'server_error' })).toBe(5);
  expect(metricValue(samples, 'idgw_upstream_errors_total', { ...s1, route: 'GET /login/status', kind: 'circuit_open' })).toBeGreaterThanOrEqual(1);
  expect(metricValue(samples, 'idgw_upstream_errors_total', { upstream: 'spid', station: 'station-2' })).toBeNull();
  await spid.control('DELETE', '/faults');
});

test('an unreadable 2xx answer counts as a malformed-answer error of its route, and the retried read still succeeds', async () => {
  const s2 = { upstream: 'spid', station: 'station-2' };
  const ok2xx = (s: Sample[]) => metricValue(s, 'idgw_upstream_request_duration_seconds_count', { ...s2, route: 'GET /login/status', status_class: '2xx' }) ?? 0;
  const before = (await gw.ok(StationStateDocument, { id: 'station-2' }, 'viewer')).station!;
  expect(before.connectivity).toBe('ONLINE');
  await spid.control('POST', '/faults', { station: 'station-2', route: 'GET /login/status', kind: 'malformed', count: 1 });
  // The next poll takes the fault: one malformed answer, retried at once with a good one (both 2xx).
  const samples = await scrapeUntil((s) => metricValue(s, 'idgw_upstream_errors_total', { ...s2, route: 'GET /login/status', kind: 'malformed' }) === 1);
  expect(ok2xx(samples)).toBeGreaterThanOrEqual(2);
  expect(metricValue(samples, 'idgw_upstream_errors_total', { ...s2, route: 'GET /login/status', kind: 'server_error' })).toBeNull();
  // The retried read succeeded: the station never went offline (no change recorded at all).
  const after = (await gw.ok(StationStateDocument, { id: 'station-2' }, 'viewer')).station!;
  expect({ connectivity: after.connectivity, version: after.version }).toEqual({ connectivity: 'ONLINE', version: before.version });
  expect(metricValue(samples, 'idgw_upstream_circuit_state', s2)).toBe(0);
});
