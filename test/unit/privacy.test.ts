/**
 * Privacy building blocks without a server: keyed pseudonyms, the report
 * cipher (tamper, wrong capture, key rotation), the production key checks, and
 * the event bus forgetting an erased CPF that subscriptions still hold —
 * queued for a slow client or in a replay page read before the erasure —, on
 * PGlite and on PostgreSQL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { formatCpf, withCheckDigits } from '../../src/domain/cpf';
import { EventBus } from '../../src/events/bus';
import { createMemoryWakeups } from '../../src/events/memory';
import { PrivacyService } from '../../src/flows/privacy.service';
import { MemoryPollScheduler } from '../../src/pollers/memory';
import { Pseudonymizer } from '../../src/privacy/pseudonym';
import { ReportCipher, reportKeyId } from '../../src/privacy/report-cipher';
import { openPgliteStore } from '../../src/store/pglite';
import { openPostgresStore } from '../../src/store/postgres';
import { createTestDatabase, requirePostgresSync } from '../helpers/services';
import type { CaptureRow, MessageRow, TransactionRow } from '../../src/store/schema';
import type { StoredEvent, Store } from '../../src/store/store';

const KEY = 'k'.repeat(32);

describe('pseudonyms', () => {
  const p = new Pseudonymizer(KEY);
  const cpf = withCheckDigits('123456789');

  test('stable per CPF and key, recognisable, never mistakable for a CPF', () => {
    const a = p.of(cpf);
    expect(a).toMatch(/^pseud:[a-z2-7]{26}$/);
    expect(p.of(cpf)).toBe(a);
    expect(p.of(a)).toBe(a);
    expect(p.of(withCheckDigits('123456780'))).not.toBe(a);
    expect(new Pseudonymizer('z'.repeat(32)).of(cpf)).not.toBe(a);
    expect(a).not.toMatch(/\d{11}|\d{3}\.\d{3}\.\d{3}-\d{2}/);
  });

  test('a short key is refused', () => {
    expect(() => new Pseudonymizer('short')).toThrow(/32/);
  });
});

describe('report cipher', () => {
  const pdf = Buffer.from('%PDF-1.4 report of a citizen');
  const id = randomUUID();

  test('round-trips; the sealed bytes are not the PDF; a tampered blob or another capture id fails', () => {
    const c = new ReportCipher(randomBytes(32));
    const s = c.seal(id, pdf);
    expect(s.data.includes('%PDF')).toBe(false);
    expect(s.keyId).toBe(c.currentKeyId);
    expect(c.open(id, s)).toEqual(pdf);
    const tampered = { ...s, data: Buffer.from(s.data) };
    tampered.data[0]! ^= 1;
    expect(() => c.open(id, tampered)).toThrow();
    expect(() => c.open(randomUUID(), s)).toThrow();
  });

  test('rotation: a blob sealed under the old key opens with the old key listed, not without it', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const sealed = new ReportCipher(oldKey).seal(id, pdf);
    expect(sealed.keyId).toBe(reportKeyId(oldKey));
    expect(new ReportCipher(newKey, [oldKey]).open(id, sealed)).toEqual(pdf);
    expect(() => new ReportCipher(newKey).open(id, sealed)).toThrow(/not configured/);
  });
});

describe('config', () => {
  const prod = {
    NODE_ENV: 'production',
    JWT_SECRET: 'x'.repeat(32),
    PDV_BASE_URL: 'https://x.example',
    PDV_CLIENT_ID: 'orgao-123',
    PDV_CLIENT_SECRET: 'issued-by-govbr',
    SPID_STATIONS: JSON.stringify([{ id: 'desk-1', name: 'Desk 1', baseUrl: 'http://10.0.0.5:19980/gbs-spid-services/api' }]),
    REPORT_LINK_KEY: 'l'.repeat(32),
  };
  const reportKey = randomBytes(32).toString('base64');

  test('production requires its own pseudonym and report keys', () => {
    expect(() => loadConfig({ ...prod, REPORT_ENCRYPTION_KEY: reportKey })).toThrow(/PSEUDONYM_KEY/);
    expect(() => loadConfig({ ...prod, PSEUDONYM_KEY: KEY })).toThrow(/REPORT_ENCRYPTION_KEY/);
    const c = loadConfig({ ...prod, PSEUDONYM_KEY: KEY, REPORT_ENCRYPTION_KEY: reportKey });
    expect(c.privacy.reportKey).toEqual(Buffer.from(reportKey, 'base64'));
    expect(c.privacy.retentionDays).toBe(365);
  });

  test('a report key must be base64 of exactly 32 bytes', () => {
    expect(() => loadConfig({ REPORT_ENCRYPTION_KEY: randomBytes(16).toString('base64') })).toThrow(/REPORT_ENCRYPTION_KEY/);
    expect(() => loadConfig({ REPORT_ENCRYPTION_KEY: randomBytes(33).toString('base64') })).toThrow(/REPORT_ENCRYPTION_KEY/);
    expect(() => loadConfig({ REPORT_ENCRYPTION_OLD_KEYS: `${reportKey},nope` })).toThrow(/REPORT_ENCRYPTION_OLD_KEYS/);
    expect(loadConfig({ REPORT_ENCRYPTION_OLD_KEYS: `${reportKey}, ${reportKey}` }).privacy.reportOldKeys).toHaveLength(2);
  });
});

// The privacy SQL runs on both adapters: PGlite always, PostgreSQL when reachable (required in CI).
const PG = requirePostgresSync();
const adapters: [string, () => Promise<{ store: Store; drop(): Promise<void> }>][] = [
  ['PGlite', async () => ({ store: await openPgliteStore('memory://'), drop: async () => undefined })],
];
if (PG) {
  adapters.push([
    'PostgreSQL',
    async () => {
      const db = await createTestDatabase(PG);
      return { store: await openPostgresStore(db.url), drop: db.drop };
    },
  ]);
}

describe.each(adapters)('event bus after an erasure (%s)', (_name, open) => {
  let store: Store;
  let drop: () => Promise<void>;
  let bus: EventBus;
  let other: EventBus;
  let privacy: PrivacyService;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    ({ store, drop } = await open());
    // Two buses on one log and one wake-up channel: two gateway instances.
    const wakeups = createMemoryWakeups();
    bus = new EventBus(store, wakeups, { bufferLimit: 1000 });
    other = new EventBus(store, wakeups, { bufferLimit: 1000 });
    await bus.start();
    await other.start();
    privacy = new PrivacyService({ store, bus, logger, scheduler: new MemoryPollScheduler({ intervalMs: 1000, factor: 1, maxIntervalMs: 1000 }) }, { retentionDays: 30, pseudonymKey: KEY });
  });
  afterAll(async () => {
    await bus.stop();
    await other.stop();
    await store.close();
    await drop();
  });

  /** A direct message to `cpf`, recorded like MessagesService does (row + person + event). */
  async function message(cpf: string, n: number): Promise<StoredEvent> {
    const row: MessageRow = {
      id: randomUUID(),
      upstreamId: null,
      cpf,
      kind: 'DIRECT',
      title: `Aviso ${n}`,
      content: `Para o CPF ${formatCpf(cpf)}`,
      senderCnpj: '33683111000107',
      senderName: 'SGD',
      status: 'SENT',
      sentBy: 'test',
      createdAt: new Date(),
      deletedAt: null,
    };
    const out = await store.recordChange('message', row.id, async (tx) => {
      await store.ensurePerson(tx, cpf);
      await store.saveMessage(tx, row);
      return { type: 'SENT', cpf, payload: { ...row, createdAt: row.createdAt.toISOString() }, result: row };
    });
    await bus.published(out!.event);
    await bus.tail();
    return out!.event;
  }

  async function take(it: AsyncIterator<StoredEvent>, n: number): Promise<StoredEvent[]> {
    const got: StoredEvent[] = [];
    while (got.length < n) {
      const r = await Promise.race([it.next(), new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 2000))]);
      if (r === 'timeout' || r.done) break;
      got.push(r.value);
    }
    return got;
  }

  const personId = async (cpf: string) => (await store.personsByCpf([cpf])).get(cpf)!.id;
  const leaks = (events: StoredEvent[], cpf: string) => events.filter((e) => JSON.stringify(e).includes(cpf) || JSON.stringify(e).includes(formatCpf(cpf)));

  test('queued live events and a replay page read before the erasure reach the client pseudonymised', async () => {
    const cpf = withCheckDigits('311222333');
    const live = bus.subscribe({ topic: 'message' }, null);
    const startSeq = await store.latestSeq();
    for (let i = 0; i < 3; i++) await message(cpf, i);
    const replay = bus.subscribe({ topic: 'message' }, startSeq);
    // The replay reads its first page (all three, with the CPF) and hands over one.
    const [first] = await take(replay, 1);
    expect(first!.cpf).toBe(cpf);

    const erased = await privacy.erasePerson(await personId(cpf));
    expect(erased).toMatchObject({ messages: 3, events: 3, pseudonym: privacy.pseudonym(cpf) });

    const fromLive = await take(live, 3);
    const fromReplay = await take(replay, 2);
    await live.return?.();
    await replay.return?.();
    expect(fromLive).toHaveLength(3);
    expect(fromReplay).toHaveLength(2);
    expect(leaks([...fromLive, ...fromReplay], cpf)).toEqual([]);
    for (const e of [...fromLive, ...fromReplay]) {
      expect(e.cpf).toBe(erased.pseudonym);
      expect(e.payload['content']).toBe(`Para o CPF ${erased.pseudonym}`);
    }
  });

  test('another instance forgets the CPF too, at its next read of the log', async () => {
    const cpf = withCheckDigits('711222333');
    const there = other.subscribe({ topic: 'message' }, null);
    await message(cpf, 1);
    await message(cpf, 2);
    await other.tail();
    const erased = await privacy.erasePerson(await personId(cpf));
    await other.tail(); // the wake-up's read (or the safety tail's, with Redis)
    const got = await take(there, 2);
    await there.return?.();
    expect(got).toHaveLength(2);
    expect(leaks(got, cpf)).toEqual([]);
    expect(got.map((e) => e.cpf)).toEqual([erased.pseudonym, erased.pseudonym]);
  });

  test('retention: finished flows past RETENTION_DAYS lose CPF and report, open ones keep them; a second run finds nothing', async () => {
    store.useReportCipher(new ReportCipher(randomBytes(32)));
    const done = withCheckDigits('511222333');
    const open = withCheckDigits('611222333');
    const at = new Date();
    const tx = (id: string, cpf: string, status: string): TransactionRow => ({
      id, cpf, upstreamId: null, version: 0, status, apiVersion: 'vbeta4', kind: 'FACIAL_BIOMETRY', category: null, reason: 'r', requester: { cnpj: '1', name: 'n', service: 's' },
      sealReuseWindowMinutes: null, seal: null, response: null, cancellation: null, autoAuthorized: false, requestedBy: null, createdAt: at, expiresAt: at, updatedAt: at,
    });
    const capture: CaptureRow = {
      id: randomUUID(), stationId: 's1', cpf: done, mode: 'PRESENTIAL', kind: 'VERIFY', status: 'SEARCH_MATCH', autoAdvance: true, enrollIfNotFound: false, tguid: 'T1',
      result: 'SEARCH_MATCH', sendOutcome: 'VERIFIED', remoteUrl: null, email: null, detail: null, reportSize: 4, reportFetchedAt: at, startedBy: null, sendClaimedAt: null, version: 0, createdAt: at, updatedAt: at,
    };
    const record = async (topic: 'transaction' | 'capture', id: string, cpf: string, save: (t: Parameters<Store['saveMessage']>[0]) => Promise<void>) =>
      store.recordChange(topic, id, async (t) => {
        await store.ensurePerson(t, cpf);
        await save(t);
        return { type: 'X', cpf, payload: { id, cpf }, result: null };
      });
    const doneTx = tx(randomUUID(), done, 'AUTHORIZED');
    const openTx = tx(randomUUID(), open, 'PENDING');
    await record('transaction', doneTx.id, done, (t) => store.saveTransaction(t, doneTx));
    await record('transaction', openTx.id, open, (t) => store.saveTransaction(t, openTx));
    await record('capture', capture.id, done, async (t) => {
      await store.saveCapture(t, capture);
      await store.saveReport(t, capture.id, Buffer.from('%PDF'), at);
    });
    expect(await store.report(capture.id)).toEqual({ bytes: Buffer.from('%PDF'), contentType: 'application/pdf' });

    // Nothing is past 30 days yet.
    expect(await privacy.runRetention()).toMatchObject({ transactions: 0, captures: 0 });
    const later = new Date(Date.now() + 31 * 86_400_000);
    const r = await privacy.runRetention(later);
    expect(r).toMatchObject({ transactions: 1, captures: 1, reportsDeleted: 1 });
    expect(await store.report(capture.id)).toBeNull();
    const pseud = privacy.pseudonym(done);
    expect((await store.transactionsById([doneTx.id, openTx.id])).get(doneTx.id)!.cpf).toBe(pseud);
    expect((await store.transactionsById([openTx.id])).get(openTx.id)!.cpf).toBe(open);
    expect((await store.capturesById([capture.id])).get(capture.id)).toMatchObject({ cpf: pseud, reportSize: 0 });
    expect((await store.eventsOfEntity(capture.id)).map((e) => [e.cpf, e.payload['cpf']])).toEqual([[pseud, pseud]]);
    expect((await store.personsByCpf([pseud])).get(pseud)).toBeDefined();
    expect(await privacy.runRetention(later)).toMatchObject({ transactions: 0, messages: 0, captures: 0, persons: 0 });
  });

  test('a subscription filtered by the erased CPF gets nothing more, not even the pseudonym', async () => {
    const cpf = withCheckDigits('411222333');
    const byCpf = bus.subscribe({ topic: 'message', cpf }, null);
    await message(cpf, 1);
    await message(cpf, 2);
    await privacy.erasePerson(await personId(cpf));
    expect(await take(byCpf, 1)).toEqual([]);
    await byCpf.return?.();
  });
});
