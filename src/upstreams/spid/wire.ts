/**
 * The SPID Services wire format: every path, field and status name of the
 * station API lives here (and only here), with a zod schema per answer. A
 * body that does not match is treated as the station being unavailable: we
 * never pass on something we did not understand.
 */
import { z } from 'zod';
import {
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

export const loginAnswer = z.object({ status: z.enum(OPERATOR_LOGIN_STATUSES) });

export const loginStatusAnswer = z
  .object({ status: z.enum(LOGIN_STATE_STATUSES), operatorId: cpfDigits.nullable().optional() })
  .transform((w): LoginState => ({ status: w.status, operatorCpf: w.operatorId ?? null }));

export const verifyAnswer = z.object({ status: z.enum(VERIFY_START_STATUSES) });
export const enrollAnswer = z.object({ status: z.literal('CLIENT_CAPTURING') });
export const operatorCaptureAnswer = z.object({ status: z.literal('OPERATOR_CAPTURING') });

export const captureStatusAnswer = z
  .object({ status: z.enum(CAPTURE_STATION_STATUSES), cpf: cpfDigits.nullable().optional(), kind: z.enum(CAPTURE_KINDS).nullable().optional() })
  .transform((w): CaptureState => ({ status: w.status, cpf: w.cpf ?? null, kind: w.kind ?? null }));

export const sendAnswer = z
  .object({ status: z.enum(SEND_OUTCOMES), tguid })
  .transform((w): SendResult => ({ outcome: w.status, tguid: w.tguid }));

export const resultAnswer = z.object({ tguid, status: z.enum(CAPTURE_RESULT_STATUSES) }).transform((w): CaptureResult => ({ tguid: w.tguid, status: w.status }));

export const resendAnswer = z
  .object({ resent: z.array(tguid), failed: z.array(tguid) })
  .transform((w): ResendResult => ({ resent: w.resent, failed: w.failed }));

export const remoteLinkAnswer = z
  .object({ tguid, url: z.url({ protocol: /^https?$/ }) })
  .transform((w): RemoteLink => ({ tguid: w.tguid, url: w.url }));

export const remoteResultAnswer = z.object({ tguid, status: z.enum(REMOTE_RESULT_STATUSES) }).transform((w): RemoteResult => ({ tguid: w.tguid, status: w.status }));

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
