/**
 * The SPID Services wire format: every path, field and status name of the
 * station API lives here (and only here), with a zod schema per answer. See
 * README.md in this folder for what is from the vendor manual / the seed and
 * what is assumed. A body that is not JSON or lacks a required field is
 * treated as the station being unavailable; a status word we do not know is
 * not (it is kept as UNKNOWN with its raw text).
 */
import { z } from 'zod';
import {
  UNKNOWN_STATUS,
  CAPTURE_KINDS,
  CAPTURE_RESULT_STATUSES,
  CAPTURE_STATION_STATUSES,
  LOGIN_STATE_STATUSES,
  OPERATOR_LOGIN_STATUSES,
  REMOTE_RESULT_STATUSES,
  SEND_OUTCOMES,
  VERIFY_START_STATUSES,
  type CaptureResult,
  type CaptureState,
  type LoginState,
  type RemoteLink,
  type RemoteResult,
  type ResendResult,
  type SendResult,
  type UnknownStatus,
} from './types';

/** Paths below the station's base URL (`.../gbs-spid-services/api`). CPFs are 11 digits and tguids are checked before they get here. */
export const paths = {
  login: (cpf: string) => `/login/${cpf}`,
  loginStatus: '/login/status',
  verify: (cpf: string) => `/verify/${cpf}`,
  enroll: '/enroll',
  captureStatus: '/capture/status',
  operatorCapture: '/capture/operator',
  send: '/capture/send',
  result: (tguid: string) => `/capture/result/${encodeURIComponent(tguid)}`,
  report: (tguid: string) => `/capture/report/${encodeURIComponent(tguid)}`,
  resend: '/capture/resend',
  remoteVerify: '/remote/verify',
  remoteEnroll: '/remote/enroll',
  remoteResult: (tguid: string) => `/remote/result/${encodeURIComponent(tguid)}`,
} as const;

const tguid = z.string().min(1).max(128);
const cpfDigits = z.string().regex(/^\d{11}$/);

/**
 * Status names on the wire → ours. Today they are the same words (the seed's
 * and the vendor manual's), so each table is the identity over our list; a
 * station that spells one differently is adapted by editing these lines only.
 */
const identity = <T extends string>(values: readonly T[]): Readonly<Record<string, T>> => Object.fromEntries(values.map((v) => [v, v]));
export const STATUS_NAMES = {
  login: identity(OPERATOR_LOGIN_STATUSES),
  loginState: identity(LOGIN_STATE_STATUSES),
  verify: identity(VERIFY_START_STATUSES),
  captureStatus: identity(CAPTURE_STATION_STATUSES),
  captureKind: identity(CAPTURE_KINDS),
  send: identity(SEND_OUTCOMES),
  result: identity(CAPTURE_RESULT_STATUSES),
  remoteResult: identity(REMOTE_RESULT_STATUSES),
} as const;

/**
 * A status read tolerantly: any non-empty text is a readable answer. A value
 * missing from `names` becomes UNKNOWN with the raw text kept, so it neither
 * fails the call (nor counts towards the circuit breaker) nor moves a flow.
 */
function status<T extends string>(names: Readonly<Record<string, T>>) {
  return z
    .string()
    .min(1)
    .max(100)
    .transform((raw) => ({ status: (Object.hasOwn(names, raw) ? names[raw] : UNKNOWN_STATUS) as T | UnknownStatus, statusCode: raw }));
}

export const loginAnswer = z.object({ status: status(STATUS_NAMES.login) }).transform((w) => w.status);

export const loginStatusAnswer = z
  .object({ status: status(STATUS_NAMES.loginState), operatorId: cpfDigits.nullable().optional() })
  .transform((w): LoginState => ({ ...w.status, operatorCpf: w.operatorId ?? null }));

export const verifyAnswer = z.object({ status: status(STATUS_NAMES.verify) }).transform((w) => w.status);
/** Enroll and Operator Capture: the 2xx is the answer; the status word is only reported when unexpected. */
export const enrollAnswer = z.object({ status: status(identity(['CLIENT_CAPTURING'] as const)) }).transform((w) => w.status);
export const operatorCaptureAnswer = z.object({ status: status(identity(['OPERATOR_CAPTURING'] as const)) }).transform((w) => w.status);

export const captureStatusAnswer = z
  .object({ status: status(STATUS_NAMES.captureStatus), cpf: cpfDigits.nullable().optional(), kind: z.string().nullable().optional() })
  .transform((w): CaptureState => ({
    ...w.status,
    cpf: w.cpf ?? null,
    // An unknown kind is not worth failing a status read for: it only refines an enroll after PERSON_NOT_FOUND.
    kind: w.kind && Object.hasOwn(STATUS_NAMES.captureKind, w.kind) ? (STATUS_NAMES.captureKind[w.kind] ?? null) : null,
  }));

export const sendAnswer = z
  .object({ status: status(STATUS_NAMES.send), tguid })
  .transform((w): SendResult => ({ outcome: w.status.status, outcomeCode: w.status.statusCode, tguid: w.tguid }));

export const resultAnswer = z.object({ tguid, status: status(STATUS_NAMES.result) }).transform((w): CaptureResult => ({ tguid: w.tguid, ...w.status }));

export const resendAnswer = z
  .object({ resent: z.array(tguid), failed: z.array(tguid) })
  .transform((w): ResendResult => ({ resent: w.resent, failed: w.failed }));

export const remoteLinkAnswer = z
  .object({ tguid, url: z.url({ protocol: /^https?$/ }) })
  .transform((w): RemoteLink => ({ tguid: w.tguid, url: w.url }));

export const remoteResultAnswer = z
  .object({ tguid, status: status(STATUS_NAMES.remoteResult) })
  .transform((w): RemoteResult => ({ tguid: w.tguid, ...w.status }));

/** `{"errors":[{"code","message"}],"type"}`; read leniently because error bodies are only hints (the HTTP status decides first). */
export const errorAnswer = z.object({
  errors: z.array(z.object({ code: z.string().max(100).optional(), message: z.string().optional() }).loose()).optional(),
  type: z.string().max(100).optional(),
});
export type ErrorAnswer = z.infer<typeof errorAnswer>;

/** Request bodies. */
export const enrollRequest = (cpf: string, name?: string) => (name === undefined ? { cpf } : { cpf, name });
export const remoteRequest = (cpf: string, email?: string) => (email === undefined ? { cpf } : { cpf, email });

/** Upstream error codes we act on (the simulator's names; the real manual's may differ: adapt here). */
export const ERROR_CODES = {
  busy: 'STATION_BUSY',
  wrongState: 'WRONG_STATE',
  noOperator: 'NO_OPERATOR',
  invalidCpf: 'INVALID_CPF',
  invalidEmail: 'INVALID_EMAIL',
  invalidName: 'INVALID_NAME',
} as const;
