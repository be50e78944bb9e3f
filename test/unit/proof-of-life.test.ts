import {
  deriveStatus,
  expireIfDue,
  intentRow,
  isTerminal,
  mergeUpstream,
  rowFromCreate,
  transactionFromJson,
  transactionToJson,
  transitionEvent,
} from '../../src/flows/proof-of-life';
import type { CreateProofOfLifeRequest, UpstreamTransaction } from '../../src/upstreams/provaDeVida/types';

const T0 = new Date('2026-05-10T17:14:38.083Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const req: CreateProofOfLifeRequest = {
  requester: { cnpj: '33.683.111/0001-07', name: 'SGD', service: 'AppGovBr' },
  cpf: '01534562567',
  reason: 'benefício',
  kind: 'B',
  expiresInMinutes: 120,
  sealReuseWindowMinutes: 60,
};
const upstream = (over: Partial<UpstreamTransaction> = {}): UpstreamTransaction => ({
  id: '0a4f7059-78b3-1b16-8179-56713d547f8a',
  cpf: '01534562567',
  requester: req.requester,
  reason: 'benefício',
  kind: 'B',
  kindCode: 'B',
  category: 'PV',
  createdAt: T0,
  expiresAt: later(120 * 60_000),
  seal: { reuseFrom: later(-60 * 60_000), available: false, validatedAt: null, used: false },
  response: null,
  cancellation: null,
  ...over,
});

describe('status derivation from the upstream object (there is no status field)', () => {
  test('no answer, before expiry → PENDING', () => expect(deriveStatus(upstream(), later(1000))).toBe('PENDING'));
  test('no answer, at or past expiry → EXPIRED', () => {
    expect(deriveStatus(upstream(), later(120 * 60_000))).toBe('EXPIRED');
    expect(deriveStatus(upstream(), later(121 * 60_000))).toBe('EXPIRED');
  });
  test('authorised → AUTHORIZED, even past expiry', () => {
    const u = upstream({ response: { authorized: true, answeredAt: later(5000), denialReason: null, denialReasonCode: null } });
    expect(deriveStatus(u, later(1000 * 60_000))).toBe('AUTHORIZED');
  });
  test('refused → DENIED', () => {
    expect(deriveStatus(upstream({ response: { authorized: false, answeredAt: later(5000), denialReason: 2, denialReasonCode: '2' } }), later(6000))).toBe('DENIED');
  });
  test('refused with a reason this gateway does not know → still DENIED, the raw code kept', () => {
    const u = upstream({ response: { authorized: false, answeredAt: later(5000), denialReason: null, denialReasonCode: '7' } });
    expect(deriveStatus(u, later(6000))).toBe('DENIED');
    const row = mergeUpstream(rowFromCreate(req, { id: u.id, version: 'vbeta4', transaction: upstream() }, T0, null), u, later(6000));
    expect(row.response).toEqual({ authorized: false, answeredAt: later(5000).toISOString(), denialReason: null, denialReasonCode: '7' });
  });
  test('cancelled (CLIENTE or SEMBIOM) → CANCELLED', () => {
    for (const code of ['CLIENTE', 'SEMBIOM']) {
      expect(deriveStatus(upstream({ cancellation: { code, reason: null, cancelledAt: T0 } }), later(1))).toBe('CANCELLED');
    }
  });
});

describe('transitions', () => {
  test('create with a fresh seal: AUTHORIZED and autoAuthorized at once', () => {
    const u = upstream({
      seal: { reuseFrom: later(-3600_000), available: true, validatedAt: later(-60_000), used: true },
      response: { authorized: true, answeredAt: T0, denialReason: null, denialReasonCode: null },
    });
    const row = rowFromCreate(req, { id: u.id, version: 'vbeta4', transaction: u }, T0, 'op-1');
    expect(row).toMatchObject({ status: 'AUTHORIZED', autoAuthorized: true, apiVersion: 'vbeta4', requestedBy: 'op-1' });
    expect(transitionEvent(null, row)).toBe('REQUESTED');
  });

  test('vbeta1 create without a read-back: expiry from the requested minutes', () => {
    const row = rowFromCreate({ ...req, sealReuseWindowMinutes: undefined }, { id: 'x', version: 'vbeta1', transaction: null }, T0, null);
    expect(row.status).toBe('PENDING');
    expect(row.expiresAt.getTime() - T0.getTime()).toBe(120 * 60_000);
  });

  test('an answer becomes one AUTHORIZED event; the same read again is no event', () => {
    const start = rowFromCreate(req, { id: 'x', version: 'vbeta4', transaction: upstream() }, T0, null);
    const answered = upstream({ response: { authorized: true, answeredAt: later(5000), denialReason: null, denialReasonCode: null } });
    const next = mergeUpstream(start, answered, later(6000));
    expect(transitionEvent(start, next)).toBe('AUTHORIZED');
    expect(next.autoAuthorized).toBe(false);
    expect(transitionEvent(next, mergeUpstream(next, answered, later(7000)))).toBeNull();
  });

  test('a vbeta1 read-back (no cpf, no seal) keeps what we know', () => {
    const start = rowFromCreate(req, { id: 'x', version: 'vbeta4', transaction: upstream() }, T0, null);
    const next = mergeUpstream(start, upstream({ cpf: null, seal: null }), later(1000));
    expect(next.cpf).toBe('01534562567');
    expect(next.seal).toEqual(start.seal);
    expect(transitionEvent(start, next)).toBeNull();
  });

  test('terminal states never flap back', () => {
    const start = rowFromCreate(req, { id: 'x', version: 'vbeta4', transaction: upstream() }, T0, null);
    const expired = expireIfDue(start, later(120 * 60_000));
    expect(expired.status).toBe('EXPIRED');
    expect(transitionEvent(start, expired)).toBe('EXPIRED');
    const late = mergeUpstream(expired, upstream({ response: { authorized: true, answeredAt: later(1), denialReason: null, denialReasonCode: null } }), later(121 * 60_000));
    expect(late).toBe(expired);
    expect(expireIfDue(start, later(1000))).toBe(start);
  });

  test('JSON snapshot round-trips', () => {
    const row = rowFromCreate(req, { id: 'x', version: 'vbeta4', transaction: upstream() }, T0, null);
    expect(transactionFromJson(JSON.parse(JSON.stringify(transactionToJson(row))))).toEqual(row);
  });
});

describe('intent rows', () => {
  const intent = intentRow(req, 'local-id', 'vbeta4', T0, 'op-1');

  test('written before the create: REQUESTING, our id, no upstream id, open (polled)', () => {
    expect(intent).toMatchObject({ id: 'local-id', upstreamId: null, status: 'REQUESTING', expiresAt: later(120 * 60_000) });
    expect(transitionEvent(null, intent)).toBe('REQUESTING');
    expect(isTerminal('REQUESTING')).toBe(false);
  });

  test("the create's answer completes it with REQUESTED, even an auto-authorised one", () => {
    const done = { ...rowFromCreate(req, { id: 'up-1', version: 'vbeta4', transaction: upstream() }, later(100), 'op-1'), id: intent.id };
    expect(done).toMatchObject({ id: 'local-id', upstreamId: 'up-1', status: 'PENDING' });
    expect(transitionEvent(intent, done)).toBe('REQUESTED');
    const auto = { ...done, status: 'AUTHORIZED' };
    expect(transitionEvent(intent, auto)).toBe('REQUESTED');
    expect(transitionEvent({ ...intent, status: 'UNCONFIRMED' }, done)).toBe('REQUESTED');
  });

  test('an unknown outcome is UNCONFIRMED, a refused one FAILED; both are ends (never polled, never re-sent)', () => {
    expect(transitionEvent(intent, { ...intent, status: 'UNCONFIRMED' })).toBe('UNCONFIRMED');
    expect(transitionEvent(intent, { ...intent, status: 'FAILED' })).toBe('FAILED');
    expect(isTerminal('UNCONFIRMED')).toBe(true);
    expect(isTerminal('FAILED')).toBe(true);
  });
});
