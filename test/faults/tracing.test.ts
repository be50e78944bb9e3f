/**
 * OpenTelemetry traces (issue 8, item 8): a started gateway with an
 * in-memory span exporter handed in through its options, the Prova de Vida
 * simulator on loopback, one mutation over real HTTP.
 */
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { SpanKind } from '@opentelemetry/api';
import { RequestProofOfLifeDocument } from '../__generated__/graphql';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PdvSim, TestGateway, eventually } from '../helpers/gateway';
import { rawKey } from '../helpers/ids';

let pdv: PdvSim;
let gw: TestGateway | undefined;
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 600 });
  gw = await TestGateway.start({ pdvUrl: pdv.url, traceExporter: exporter });
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await pdv?.close();
});

const spans = () => exporter.getFinishedSpans();
const find = (pred: (s: ReadableSpan) => boolean) => eventually(async () => spans().find(pred) ?? null, 15_000);

/** True when `ancestor` is on `s`'s parent chain (same trace). */
function descends(s: ReadableSpan, ancestor: ReadableSpan): boolean {
  const byId = new Map(spans().map((x) => [x.spanContext().spanId, x]));
  let parent = s.parentSpanContext?.spanId;
  while (parent) {
    if (parent === ancestor.spanContext().spanId) return s.spanContext().traceId === ancestor.spanContext().traceId;
    parent = byId.get(parent)?.parentSpanContext?.spanId;
  }
  return false;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

test('the mutation trace holds its upstream call and its store write; poll spans link to the mutation and record the answer', async () => {
  const t = (await gw!.done(RequestProofOfLifeDocument, { input: { cpf: CPF.authorizes, reason: 'Benefício previdenciário' } })).requestProofOfLife;

  const op = await find((s) => s.name === 'graphql.mutation RequestProofOfLife');
  expect(op.kind).toBe(SpanKind.SERVER);
  expect(op.parentSpanContext).toBeUndefined();
  expect(op.attributes).toMatchObject({ 'graphql.operation.type': 'mutation', 'graphql.operation.name': 'RequestProofOfLife' });

  const create = spans().find((s) => s.name === 'provaDeVida POST /api/vbeta4/transacoes');
  expect(create).toBeDefined();
  expect(create!.kind).toBe(SpanKind.CLIENT);
  expect(descends(create!, op)).toBe(true);
  expect(create!.attributes).toMatchObject({ 'idgw.upstream': 'provaDeVida', 'http.route': 'POST /api/vbeta4/transacoes', 'http.response.status_code': 201 });

  const write = spans().find((s) => s.name === 'store.recordChange' && s.attributes['idgw.event.type'] === 'REQUESTED' && s.attributes['idgw.entity.id'] === rawKey(t.id));
  expect(write).toBeDefined();
  expect(descends(write!, op)).toBe(true);
  const requestedSeq = write!.attributes['idgw.event.seq'];
  expect(requestedSeq).toBe((await gw!.gw.store.eventsOfEntity(rawKey(t.id))).find((e) => e.type === 'REQUESTED')!.seq);

  // The poll that recorded AUTHORIZED: its own trace, linked to the mutation span, its store write under it.
  const authorized = await find((s) => s.name === 'store.recordChange' && s.attributes['idgw.event.type'] === 'AUTHORIZED' && s.attributes['idgw.entity.id'] === rawKey(t.id));
  const poll = spans().find((s) => s.spanContext().spanId === authorized.parentSpanContext?.spanId);
  expect(poll?.name).toBe('poll transaction');
  expect(poll!.attributes).toMatchObject({ 'idgw.entity.id': rawKey(t.id), 'idgw.poll.outcome': 'done' });
  expect(poll!.parentSpanContext).toBeUndefined();
  expect(poll!.spanContext().traceId).not.toBe(op.spanContext().traceId);
  expect(poll!.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([[op.spanContext().traceId, op.spanContext().spanId]]);
  const read = spans().find((s) => s.name === 'provaDeVida GET /api/{version}/transacoes/{id}' && s.parentSpanContext?.spanId === poll!.spanContext().spanId);
  expect(read?.attributes['http.response.status_code']).toBe(200);
  // The events the trace recorded are the log's: the intent row, REQUESTED, then AUTHORIZED, joined by seq.
  const log = await gw!.gw.store.eventsOfEntity(rawKey(t.id));
  expect(log.map((e) => [e.type, e.seq])).toEqual([
    ['REQUESTING', expect.any(Number)],
    ['REQUESTED', requestedSeq],
    ['AUTHORIZED', authorized.attributes['idgw.event.seq']],
  ]);

  // No CPF (either spelling), token or body in any span of the run.
  const dump = JSON.stringify(spans().map((s) => [s.name, s.attributes, s.events]));
  expect(dump).not.toContain(CPF.authorizes);
  expect(dump).not.toContain('100.000.001-08');
  expect(dump).not.toMatch(/bearer|basic |access_token|Benefício/i);
});

test('with OTEL_EXPORTER_OTLP_ENDPOINT set, spans reach the collector over OTLP/HTTP under OTEL_SERVICE_NAME', async () => {
  // One SDK per process: the first gateway's goes first (its shutdown unregisters it).
  await gw?.close();
  gw = undefined;
  const received: { path: string; body: string }[] = [];
  const collector = createServer((req, res) => {
    void bodyOf(req).then((body) => {
      received.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  const traced = await TestGateway.start({ pdvUrl: pdv.url, env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_SERVICE_NAME: 'idgw-otlp-test' } });
  try {
    await traced.done(RequestProofOfLifeDocument, { input: { cpf: CPF.neverAnswers, reason: 'Benefício previdenciário' } });
  } finally {
    // Shutdown flushes the batch.
    await traced.close();
    await new Promise<void>((r) => collector.close(() => r()));
  }
  expect(received.length).toBeGreaterThanOrEqual(1);
  expect(received.every((r) => r.path === '/v1/traces')).toBe(true);
  const all = received.map((r) => r.body).join('\n');
  expect(all).toContain('graphql.mutation RequestProofOfLife');
  expect(all).toContain('provaDeVida POST /api/vbeta4/transacoes');
  expect(all).toContain('idgw-otlp-test');
  expect(all).not.toContain(CPF.neverAnswers);
});
