/**
 * LGPD retention, erasure, export and reports at rest, black box: real
 * gateway, real simulators, real HTTP and WebSocket. After the retention job
 * (its cron ticking every second, flows backdated past RETENTION_DAYS) and
 * after `erasePerson`, no table, event, audit row or log line holds the CPF —
 * formatted or digits-only —, a replay from seq 0 shows only the pseudonym and
 * a live subscriber never receives the CPF again.
 */
import { userErrorAt } from '../helpers/payload';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import {
  CaptureDocument,
  ErasePersonDocument,
  ExportPersonDataDocument,
  LoginOperatorDocument,
  PersonByIdDocument,
  PersonDocument,
  RequestProofOfLifeDocument,
  SendMessageDocument,
  StartPresentialCaptureDocument,
  TransactionDocument,
  TransactionResponseChangedDocument,
} from '../__generated__/graphql';
import type { Role } from '../../src/auth/jwt';
import { formatCpf, withCheckDigits } from '../../src/domain/cpf';
import { reportKeyId } from '../../src/privacy/report-cipher';
import { PDV_MAGIC_CPFS } from '../../src/simulators/provaDeVida';
import { SPID_MAGIC_CPFS } from '../../src/simulators/spid';
import { Collector, PdvSim, SpidSim, TestGateway, eventually } from '../helpers/gateway';
import { rawKey } from '../helpers/ids';

const RETAINED = PDV_MAGIC_CPFS.authorizes; // also SPID "matches"
const ERASED = withCheckDigits('123456789');
const OPEN = PDV_MAGIC_CPFS.neverAnswers;
const RECENT = PDV_MAGIC_CPFS.refuses;
const LATER = withCheckDigits('987654321');

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;
const lines: string[] = [];

beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 150 });
  spid = await SpidSim.start({ timings: { clientCaptureMs: 100, operatorCaptureMs: 100, verifyProcessingMs: 100, loginSettleMs: 10 } });
  gw = await TestGateway.start({
    pdvUrl: pdv.url,
    spidStations: spid.stationsEnv,
    // The privacy job every second: the test only has to backdate flows past retention.
    env: { LOG_LEVEL: 'trace', RETENTION_DAYS: '30', RETENTION_CRON: '* * * * * *' },
    logSink: (l) => lines.push(l),
  });
});
afterAll(async () => {
  await gw?.close();
  await pdv?.close();
  await spid?.close();
});

async function rows<T>(g: TestGateway, query: ReturnType<typeof sql>): Promise<T[]> {
  return ((await g.gw.store.db.execute(query)) as unknown as { rows: T[] }).rows;
}

/** Every text/json column of every table that holds `cpf`, digits or formatted: `table.column`. */
async function cpfHits(cpf: string): Promise<string[]> {
  const cols = await rows<{ table_name: string; column_name: string }>(
    gw,
    sql`select table_name, column_name from information_schema.columns where table_schema = 'public' and data_type in ('text', 'jsonb', 'json', 'character varying')`,
  );
  expect(cols.length).toBeGreaterThan(20);
  const hits: string[] = [];
  for (const { table_name: t, column_name: c } of cols) {
    const [r] = await rows<{ n: number }>(
      gw,
      sql`select count(*)::int as n from ${sql.identifier(t)} where ${sql.identifier(c)}::text like ${`%${cpf}%`} or ${sql.identifier(c)}::text like ${`%${formatCpf(cpf)}%`}`,
    );
    if (Number(r!.n) > 0) hits.push(`${t}.${c}`);
  }
  return hits;
}

const logHas = (cpf: string) => lines.some((l) => l.includes(cpf) || l.includes(formatCpf(cpf)));
const leaks = (items: unknown[], cpf: string) => items.filter((i) => JSON.stringify(i).includes(formatCpf(cpf)) || JSON.stringify(i).includes(cpf));

async function getReport(g: TestGateway, captureId: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(g.url.replace(/\/graphql$/, `/reports/${captureId}`), { headers: { authorization: `Bearer ${await g.token('operator')}` } });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

/** A proof of life (answered), a message and a capture with its report, all for `cpf`. */
async function fullFlows(g: TestGateway, cpf: string, stationId: string) {
  const t = (await g.done(RequestProofOfLifeDocument, { input: { cpf, reason: `Prova de vida ${formatCpf(cpf)}`, idempotencyKey: `pol-${cpf}` } })).requestProofOfLife;
  await eventually(async () => (await g.ok(TransactionDocument, { id: t.id })).transaction?.status === 'AUTHORIZED', 15_000, 100);
  const m = (await g.done(SendMessageDocument, { input: { cpf, title: 'Aviso', content: `Olá, titular do CPF ${formatCpf(cpf)}` } })).sendMessage;
  await g.ok(LoginOperatorDocument, { stationId, operatorCpf: SPID_MAGIC_CPFS.operatorOk });
  const c = (await g.done(StartPresentialCaptureDocument, { stationId, cpf })).startPresentialCapture;
  await eventually(async () => (await g.ok(CaptureDocument, { id: c.id })).capture?.report != null, 20_000, 100);
  return { transactionId: t.id, messageId: m.id, captureId: c.id };
}

async function personId(cpf: string): Promise<string> {
  const p = (await gw.ok(PersonDocument, { cpf }, 'admin')).person;
  if (!p) throw new Error('no person');
  return p.id;
}

async function codeOf(doc: 'erase' | 'export', id: string, role: Role): Promise<unknown> {
  const r = doc === 'erase' ? await gw.request(ErasePersonDocument, { id }, role) : await gw.request(ExportPersonDataDocument, { id }, role);
  return r.errors?.[0]?.extensions?.['code'];
}

/** erasePerson's expected refusal: a userError in its payload, no erasure, no top-level error. */
async function eraseUserError(id: string): Promise<unknown> {
  return userErrorAt(await gw.request(ErasePersonDocument, { id }, 'admin'), 'erasePerson').code;
}

test('retention: past RETENTION_DAYS the scheduled job pseudonymises every trace of a finished flow and deletes its report', async () => {
  const flows = await fullFlows(gw, RETAINED, 'station-1');
  const open = (await gw.done(RequestProofOfLifeDocument, { input: { cpf: OPEN, reason: 'aberta' } })).requestProofOfLife;
  const recent = (await gw.done(RequestProofOfLifeDocument, { input: { cpf: RECENT, reason: 'recente' } })).requestProofOfLife;
  await eventually(async () => (await gw.ok(TransactionDocument, { id: recent.id })).transaction?.status === 'DENIED', 15_000, 100);
  const retainedId = await personId(RETAINED);
  expect(await cpfHits(RETAINED)).toEqual(expect.arrayContaining(['transactions.cpf', 'messages.cpf', 'captures.cpf', 'events.cpf', 'events.payload', 'persons.cpf', 'idempotency_keys.key']));

  // 40 days ago: past retention. The open transaction is backdated too: open flows are never touched.
  const past = sql`now() - interval '40 days'`;
  await rows(gw, sql`update transactions set updated_at = ${past}, created_at = ${past} where cpf in (${RETAINED}, ${OPEN})`);
  await rows(gw, sql`update messages set created_at = ${past} where cpf = ${RETAINED}`);
  await rows(gw, sql`update captures set updated_at = ${past}, created_at = ${past} where cpf = ${RETAINED}`);

  const pseudonym = gw.gw.privacy.pseudonym(RETAINED);
  const person = await eventually(async () => {
    const p = (await gw.ok(PersonByIdDocument, { id: retainedId }, 'admin')).person;
    return p?.pseudonymized ? p : null;
  }, 15_000, 200);
  expect(person).toMatchObject({ id: retainedId, cpf: pseudonym, pseudonymized: true });

  expect(await cpfHits(RETAINED)).toEqual([]);
  expect((await rows(gw, sql`select 1 from capture_reports where capture_id = ${rawKey(flows.captureId)}`)).length).toBe(0);
  expect((await getReport(gw, rawKey(flows.captureId))).status).toBe(404);
  // The records are still there, under the pseudonym, and still linked to each other.
  expect((await gw.ok(TransactionDocument, { id: flows.transactionId }, 'admin')).transaction).toMatchObject({ cpf: pseudonym, status: 'AUTHORIZED', reason: `Prova de vida ${pseudonym}` });
  expect((await gw.ok(CaptureDocument, { id: flows.captureId }, 'admin')).capture).toMatchObject({ cpf: pseudonym, report: null });
  // Open and recent flows keep their CPF.
  expect(await cpfHits(OPEN)).toContain('transactions.cpf');
  expect((await gw.ok(TransactionDocument, { id: open.id }, 'admin')).transaction?.status).toBe('PENDING');
  expect((await gw.ok(TransactionDocument, { id: recent.id }, 'admin')).transaction?.cpf).toBe(formatCpf(RECENT));

  // Replay of the whole log: the retained person's events carry only the pseudonym.
  const ws = await gw.wsClient('admin');
  const replay = Collector.subscribe(ws, TransactionResponseChangedDocument, { afterSeq: 0 });
  await replay.waitFor((e) => e.transactionResponseChanged.transaction.id === recent.id && e.transactionResponseChanged.type === 'DENIED');
  replay.stop();
  await ws.dispose();
  const mine = replay.items.filter((e) => e.transactionResponseChanged.transaction.id === flows.transactionId);
  expect(mine.map((e) => e.transactionResponseChanged.type)).toEqual(['REQUESTING', 'REQUESTED', 'AUTHORIZED']);
  for (const e of mine) expect(e.transactionResponseChanged.transaction.cpf).toBe(pseudonym);
  expect(leaks(replay.items, RETAINED)).toEqual([]);
  expect(logHas(RETAINED)).toBe(false);
});

test('erasePerson: admin only, refused while a flow is open, then no CPF anywhere; export before and after', async () => {
  const flows = await fullFlows(gw, ERASED, 'station-2');
  const id = await personId(ERASED);
  const openId = await personId(OPEN);

  for (const role of ['viewer', 'operator'] as const) {
    expect(await codeOf('erase', id, role)).toBe('FORBIDDEN');
    expect(await codeOf('export', id, role)).toBe('FORBIDDEN');
  }
  expect(await cpfHits(ERASED)).toContain('transactions.cpf');

  // An open proof of life still needs the CPF: refused, nothing changed.
  expect(await eraseUserError(openId)).toBe('PERSON_HAS_OPEN_FLOWS');
  expect(await cpfHits(OPEN)).toEqual(expect.arrayContaining(['transactions.cpf', 'persons.cpf']));
  expect(await eraseUserError(randomUUID())).toBe('NOT_FOUND');

  const before = (await gw.ok(ExportPersonDataDocument, { id }, 'admin')).exportPersonData!;
  expect(before.person).toMatchObject({ id, cpf: formatCpf(ERASED), pseudonymized: false });
  expect(before.transactions.map((t) => [t.id, t.cpf, t.status])).toEqual([[flows.transactionId, formatCpf(ERASED), 'AUTHORIZED']]);
  expect(before.messages.map((m) => m.id)).toEqual([flows.messageId]);
  expect(before.captures.map((c) => c.id)).toEqual([flows.captureId]);
  expect(before.captures[0]!.report).not.toBeNull();
  expect(before.captures[0]!.history.map((h) => h.type)).toContain('REPORT_READY');
  expect(before.auditEntries).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ action: 'requestProofOfLife', target: `Transaction:${rawKey(flows.transactionId)}`, result: 'OK' }),
      expect.objectContaining({ action: 'sendMessage', target: `Message:${rawKey(flows.messageId)}`, result: 'OK' }),
      expect.objectContaining({ action: 'startPresentialCapture', target: `Capture:${rawKey(flows.captureId)}`, result: 'OK' }),
    ]),
  );

  const ws = await gw.wsClient('admin');
  const live = Collector.subscribe(ws, TransactionResponseChangedDocument, {});
  await new Promise((r) => setTimeout(r, 300)); // the subscription is registered

  const erased = (await gw.done(ErasePersonDocument, { id: rawKey(id) }, 'admin')).erasePerson;
  const pseudonym = gw.gw.privacy.pseudonym(ERASED);
  expect(erased).toMatchObject({ personId: id, pseudonym, transactions: 1, messages: 1, captures: 1, reportsDeleted: 1 });
  const seenAtErasure = live.items.length;

  expect(await cpfHits(ERASED)).toEqual([]);
  expect((await getReport(gw, rawKey(flows.captureId))).status).toBe(404);
  expect((await gw.ok(PersonDocument, { cpf: ERASED }, 'admin')).person).toBeNull();

  // A later flow of someone else reaches the live subscriber; nothing it gets after the erasure holds the CPF.
  const later = (await gw.done(RequestProofOfLifeDocument, { input: { cpf: LATER, reason: 'depois' } })).requestProofOfLife;
  await live.waitFor((e) => e.transactionResponseChanged.transaction.id === later.id);
  const replay = Collector.subscribe(ws, TransactionResponseChangedDocument, { afterSeq: 0 });
  await replay.waitFor((e) => e.transactionResponseChanged.transaction.id === later.id);
  live.stop();
  replay.stop();
  await ws.dispose();
  expect(leaks(live.items.slice(seenAtErasure), ERASED)).toEqual([]);
  expect(leaks(replay.items, ERASED)).toEqual([]);
  const replayed = replay.items.filter((e) => e.transactionResponseChanged.transaction.id === flows.transactionId);
  expect(replayed.length).toBeGreaterThan(0);
  for (const e of replayed) expect(e.transactionResponseChanged.transaction.cpf).toBe(pseudonym);

  // Export by the same id still finds everything, now pseudonymised; erasure and exports are audited.
  const after = (await gw.ok(ExportPersonDataDocument, { id }, 'admin')).exportPersonData!;
  expect(after.person).toMatchObject({ id, cpf: pseudonym, pseudonymized: true });
  expect(after.transactions.map((t) => [t.id, t.cpf])).toEqual([[flows.transactionId, pseudonym]]);
  expect(after.messages.map((m) => m.content)).toEqual([`Olá, titular do CPF ${pseudonym}`]);
  expect(after.captures.map((c) => [c.id, c.cpf, c.report])).toEqual([[flows.captureId, pseudonym, null]]);
  expect(after.auditEntries).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ action: 'erasePerson', target: `id:${rawKey(id)}`, result: 'OK', role: 'ADMIN' }),
      expect.objectContaining({ action: 'exportPersonData', target: `id:${rawKey(id)}`, result: 'OK', role: 'ADMIN' }),
      expect.objectContaining({ action: 'requestProofOfLife', target: `Transaction:${rawKey(flows.transactionId)}` }),
    ]),
  );
  // Erasing again is harmless.
  expect((await gw.done(ErasePersonDocument, { id }, 'admin')).erasePerson).toMatchObject({ personId: id, pseudonym, transactions: 0 });
  expect(logHas(ERASED)).toBe(false);
});

describe('reports at rest', () => {
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gw-reports-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const start = (env: Record<string, string>) => TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv, dataDir, env });
  const raw = async (g: TestGateway, captureId: string) =>
    (await rows<{ pdf: Uint8Array; key_id: string | null; iv: Uint8Array | null; tag: Uint8Array | null }>(g, sql`select pdf, key_id, iv, tag from capture_reports where capture_id = ${captureId}`))[0]!;

  test('round-trip through GET /reports/:id, no %PDF in the column; old-key and legacy plaintext blobs still read after a rotation', async () => {
    const cpf = withCheckDigits('555666777');
    const legacyId = randomUUID();
    const legacyPdf = Buffer.from('%PDF-1.4 written before encryption');
    let captureId: string;
    let pdf: Buffer;

    const g1 = await start({ REPORT_ENCRYPTION_KEY: k1 });
    try {
      await g1.ok(LoginOperatorDocument, { stationId: 'station-3', operatorCpf: SPID_MAGIC_CPFS.operatorOk });
      captureId = rawKey((await g1.done(StartPresentialCaptureDocument, { stationId: 'station-3', cpf })).startPresentialCapture.id);
      const report = await eventually(async () => (await g1.ok(CaptureDocument, { id: captureId })).capture?.report, 20_000, 100);
      const got = await getReport(g1, captureId);
      expect(got.status).toBe(200);
      expect(got.body.subarray(0, 4).toString()).toBe('%PDF');
      expect(got.body.length).toBe(report.size);
      pdf = got.body;
      const r = await raw(g1, captureId);
      expect(Buffer.from(r.pdf).includes('%PDF')).toBe(false);
      expect(r.key_id).toBe(reportKeyId(Buffer.from(k1, 'base64')));
      expect([r.iv?.length, r.tag?.length]).toEqual([12, 16]);
      // A row as the privacy migration found it: plaintext, no key id — of a capture the gateway knows
      // (report downloads are scoped by the capture's station), here a copy of the first one under a new id.
      await rows(g1, sql`create temp table legacy_capture as select * from captures where id = ${captureId}`);
      await rows(g1, sql`update legacy_capture set id = ${legacyId}`);
      await rows(g1, sql`insert into captures select * from legacy_capture`);
      await rows(g1, sql`insert into capture_reports (capture_id, pdf, fetched_at) values (${legacyId}, ${legacyPdf}, now())`);
      expect((await getReport(g1, legacyId)).body).toEqual(legacyPdf);
    } finally {
      await g1.close({ keepData: true });
    }

    // Rotation: K2 is current, K1 kept for reading.
    const g2 = await start({ REPORT_ENCRYPTION_KEY: k2, REPORT_ENCRYPTION_OLD_KEYS: k1 });
    try {
      expect(await getReport(g2, captureId)).toEqual({ status: 200, body: pdf });
      expect((await raw(g2, captureId)).key_id).toBe(reportKeyId(Buffer.from(k1, 'base64')));
      await g2.gw.privacy.runJob(); // re-seals under K2, seals the legacy row
      for (const id of [captureId, legacyId]) {
        const r = await raw(g2, id);
        expect(r.key_id).toBe(reportKeyId(Buffer.from(k2, 'base64')));
        expect(Buffer.from(r.pdf).includes('%PDF')).toBe(false);
      }
    } finally {
      await g2.close({ keepData: true });
    }

    // K1 dropped: everything reads under K2 alone.
    const g3 = await start({ REPORT_ENCRYPTION_KEY: k2 });
    try {
      expect(await getReport(g3, captureId)).toEqual({ status: 200, body: pdf });
      expect(await getReport(g3, legacyId)).toEqual({ status: 200, body: legacyPdf });
    } finally {
      await g3.close({ keepData: true });
    }
  });
});
