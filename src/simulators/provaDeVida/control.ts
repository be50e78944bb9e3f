import { randomUUID } from 'node:crypto';
import { isObject, json, parseJson, type Reply } from './http';
import type { DenialReason } from './magic';
import { ROUTES, messageView, transactionView, type Fault, type PdvState, type RoutePattern } from './state';

const MAX_TIMER_MS = 2_147_483_647; // setTimeout's ceiling; larger values fire at once

const err = (status: number, error: string): Reply => json(status, { error });
const ok = (value: unknown = { ok: true }): Reply => json(200, value);

/** Test-only control plane. Served on its own port so it can never be reached through the API base URL. */
export function handleControl(state: PdvState, method: string, path: string, text: string): Reply {
  const body = parseJson(text);
  if (body === undefined) return err(400, 'body is not JSON');
  const input = isObject(body) ? body : {};

  if (path === '/counters' && method === 'GET') return ok(state.countersSnapshot());
  if (path === '/counters/reset' && method === 'POST') {
    state.resetCounters();
    return ok();
  }
  if (path === '/faults') {
    if (method === 'POST') return addFault(state, input);
    if (method === 'DELETE') {
      state.faults = [];
      return ok();
    }
    if (method === 'GET') return ok(state.faults);
  }
  if (path === '/tokens/revoke' && method === 'POST') {
    state.tokens.clear();
    return ok();
  }
  if (path === '/reset' && method === 'POST') {
    state.reset();
    return ok();
  }
  if (path === '/config' && method === 'PUT') {
    const a = input['answerAfterMs'];
    if (a !== undefined) {
      if (typeof a !== 'number' || !Number.isInteger(a) || a < 0 || a > MAX_TIMER_MS) {
        return err(400, 'answerAfterMs must be an integer between 0 and 2147483647');
      }
      state.answerAfterMs = a;
    }
    return ok({ answerAfterMs: state.answerAfterMs });
  }

  if (path === '/transactions' && method === 'GET') {
    return ok([...state.transactions.values()].map((tx) => transactionView(tx, 'vbeta4')));
  }
  let m = /^\/transactions\/([^/]+)$/.exec(path);
  if (m && method === 'GET') {
    const tx = state.transactions.get(m[1] ?? '');
    return tx ? ok(transactionView(tx, 'vbeta4')) : err(404, 'unknown transaction');
  }
  m = /^\/transactions\/([^/]+)\/(answer|never-answer|expire)$/.exec(path);
  if (m && method === 'POST') {
    const id = m[1] ?? '';
    const tx = state.transactions.get(id);
    if (!tx) return err(404, 'unknown transaction');
    if (m[2] === 'answer') return answer(state, id, input);
    if (m[2] === 'never-answer') state.cancelAutoAnswer(id);
    else state.expire(id);
    return ok(transactionView(tx, 'vbeta4'));
  }
  m = /^\/messages\/([^/]+)$/.exec(path);
  if (m && method === 'GET') {
    const msg = state.messages.get(m[1] ?? '');
    return msg ? ok({ ...messageView(msg), deleted: msg.deleted }) : err(404, 'unknown message');
  }
  return err(404, 'no such control route');
}

function answer(state: PdvState, id: string, input: Record<string, unknown>): Reply {
  const authorized = input['authorized'];
  const reason = input['denialReason'];
  if (typeof authorized !== 'boolean') return err(400, 'authorized must be a boolean');
  const raw = input['undocumentedDenialReason'];
  if (reason !== undefined && reason !== 1 && reason !== 2 && reason !== 3 && reason !== 4) {
    return err(400, 'denialReason must be 1, 2, 3 or 4');
  }
  // A code the manual does not document (it lists 1–4): for tolerant-reader tests.
  if (raw !== undefined && (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 5 || raw > 999)) {
    return err(400, 'undocumentedDenialReason must be an integer between 5 and 999');
  }
  if (reason !== undefined && raw !== undefined) return err(400, 'give denialReason or undocumentedDenialReason, not both');
  if (authorized && (reason !== undefined || raw !== undefined)) return err(400, 'denialReason only applies when authorized is false');
  const result = state.answerNow(id, authorized, (raw as number | undefined) ?? (reason as DenialReason | undefined));
  if (result === 'conflict') return err(409, 'transaction already answered or cancelled');
  const tx = state.transactions.get(id);
  return tx ? ok(transactionView(tx, 'vbeta4')) : err(404, 'unknown transaction');
}

function addFault(state: PdvState, input: Record<string, unknown>): Reply {
  const route = input['route'] ?? '*';
  if (route !== '*' && !(ROUTES as readonly unknown[]).includes(route)) {
    return err(400, `route must be '*' or one of: ${ROUTES.join(', ')}`);
  }
  const kind = input['kind'];
  if (kind !== 'status' && kind !== 'latency' && kind !== 'reset' && kind !== 'malformed') {
    return err(400, "kind must be 'status', 'latency', 'reset' or 'malformed'");
  }
  const status = input['status'] ?? 503;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    return err(400, 'status must be an integer between 200 and 599');
  }
  const latencyMs = input['latencyMs'] ?? 1000;
  if (typeof latencyMs !== 'number' || !Number.isInteger(latencyMs) || latencyMs < 0 || latencyMs > MAX_TIMER_MS) {
    return err(400, 'latencyMs must be a non-negative integer');
  }
  const count = input['count'] ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || (count < 1 && count !== -1)) {
    return err(400, 'count must be a positive integer or -1 (until cleared)');
  }
  const processed = input['processed'] ?? false;
  if (typeof processed !== 'boolean') return err(400, 'processed must be a boolean');
  const fault: Fault = { id: randomUUID(), route: route as RoutePattern | '*', kind, status, latencyMs, remaining: count, processed };
  state.faults.push(fault);
  return ok({ id: fault.id });
}
