/**
 * Our own view of a SPID Services capture station (the SPID Client's local
 * REST API). The client maps the station's wire format into these types;
 * nothing outside `src/upstreams/spid/` knows the station's paths or field
 * names, so adapting to the real manual touches one folder.
 *
 * The status lists are exported as `as const` arrays because the GraphQL layer
 * builds its enums from them.
 */

/**
 * A status the station sent that is not in our lists. Readers keep it (the
 * raw value in `statusCode`) instead of failing the answer: it is a settled,
 * readable answer that simply moves nothing forward.
 */
export const UNKNOWN_STATUS = 'UNKNOWN' as const;
export type UnknownStatus = typeof UNKNOWN_STATUS;

/**
 * What Login / Login Status report about the operator (vendor manual). Every
 * one is a settled answer to the login: `OPERATOR_PENDING` (added by an
 * administrator, biometrics not given yet) and `OPERATOR_IN_PROGRESS` (the
 * server is still processing the operator's own enrolment) are states of the
 * operator's enrolment, not of this login. `OPERATOR_OFFLINE_OK`: the SPID
 * server was unreachable and the station logged in from its local base.
 */
export const OPERATOR_LOGIN_STATUSES = [
  'OPERATOR_OK',
  'OPERATOR_OFFLINE_OK',
  'OPERATOR_NOT_FOUND',
  'OPERATOR_PENDING',
  'OPERATOR_IN_PROGRESS',
  'OPERATOR_FAILED',
  'ERROR',
] as const;
export type OperatorLoginStatus = (typeof OPERATOR_LOGIN_STATUSES)[number];

/** Login Status adds `NOT_LOGGED_IN` (nobody has tried since the station started). */
export const LOGIN_STATE_STATUSES = [...OPERATOR_LOGIN_STATUSES, 'NOT_LOGGED_IN'] as const;
export type LoginStateStatus = (typeof LOGIN_STATE_STATUSES)[number];

/** Statuses in which an operator counts as logged in (capture calls are allowed). */
export const OPERATOR_LOGGED_IN_STATUSES = ['OPERATOR_OK', 'OPERATOR_OFFLINE_OK'] as const satisfies readonly OperatorLoginStatus[];

/** The station's one current capture. `CAPTURE_CANCELED`/`CAPTURE_FAILED` end it: a new capture may start. */
export const CAPTURE_STATION_STATUSES = [
  'IDLE',
  'CLIENT_CAPTURING',
  'CLIENT_CAPTURE_DONE',
  'OPERATOR_CAPTURING',
  'OPERATOR_CAPTURE_DONE',
  'CAPTURE_CANCELED',
  'CAPTURE_FAILED',
] as const;
export type CaptureStationStatus = (typeof CAPTURE_STATION_STATUSES)[number];

/** VERIFY: 1:1 check of a registered person; ENROLL: registering a new one. */
export const CAPTURE_KINDS = ['VERIFY', 'ENROLL'] as const;
export type CaptureKind = (typeof CAPTURE_KINDS)[number];

export const VERIFY_START_STATUSES = ['PERSON_NOT_FOUND', 'CLIENT_CAPTURING'] as const;
/** `PERSON_NOT_FOUND`: not registered, enroll instead; `CLIENT_CAPTURING`: the person's capture started. */
export type VerifyStartStatus = (typeof VERIFY_START_STATUSES)[number];

/** VERIFIED: verify sent (synchronous); CAPTURE_ENQUEUED: enroll sent (asynchronous); CAPTURE_PENDING: the server was unreachable, kept on the station for Resend All. */
export const SEND_OUTCOMES = ['VERIFIED', 'CAPTURE_ENQUEUED', 'CAPTURE_PENDING'] as const;
export type SendOutcome = (typeof SEND_OUTCOMES)[number];

/** A presential capture's result. PROCESSING and CAPTURE_PENDING are not final; enroll processing can take a long time. */
export const CAPTURE_RESULT_STATUSES = ['PROCESSING', 'CAPTURE_PENDING', 'SEARCH_MATCH', 'SEARCH_NOT_MATCH', 'ENROLLED', 'ENROLL_REJECTED'] as const;
export type CaptureResultStatus = (typeof CAPTURE_RESULT_STATUSES)[number];

/** A remote capture's result. WAITING_CLIENT: the link is not used yet; EXPIRED: it never was. */
export const REMOTE_RESULT_STATUSES = ['WAITING_CLIENT', 'PROCESSING', 'SEARCH_MATCH', 'SEARCH_NOT_MATCH', 'ENROLLED', 'ENROLL_REJECTED', 'EXPIRED'] as const;
export type RemoteResultStatus = (typeof REMOTE_RESULT_STATUSES)[number];

/** Result statuses after which nothing changes any more. */
export const FINAL_RESULT_STATUSES = ['SEARCH_MATCH', 'SEARCH_NOT_MATCH', 'ENROLLED', 'ENROLL_REJECTED', 'EXPIRED'] as const;

/** A station as configured in the gateway. */
export interface SpidStationConfig {
  id: string;
  name: string;
  /** e.g. `http://10.0.0.5:19980/gbs-spid-services/api` */
  baseUrl: string;
  /** Optional bearer token (the manual documents none; stations sit on a private network). */
  token?: string;
}

export interface LoginState {
  status: LoginStateStatus | UnknownStatus;
  /** The status as the station sent it (equal to `status` unless that is UNKNOWN). */
  statusCode: string;
  /** 11 digits; null when nobody is logged in. */
  operatorCpf: string | null;
}

export interface CaptureState {
  status: CaptureStationStatus | UnknownStatus;
  statusCode: string;
  /** 11 digits of the person being captured; null when idle or while the operator authenticates for a remote capture. */
  cpf: string | null;
  kind: CaptureKind | null;
}

export interface SendResult {
  /** An unknown outcome with a TGUID is still a send: the result is polled like after VERIFIED. */
  outcome: SendOutcome | UnknownStatus;
  outcomeCode: string;
  /** The transaction id for Result / Report. */
  tguid: string;
}

export interface CaptureResult {
  tguid: string;
  status: CaptureResultStatus | UnknownStatus;
  statusCode: string;
}

export interface ResendResult {
  resent: string[];
  failed: string[];
}

export interface RemoteLink {
  tguid: string;
  /** The link the citizen's phone app uses to submit biometrics to the external verification service. */
  url: string;
}

export interface RemoteResult {
  tguid: string;
  status: RemoteResultStatus | UnknownStatus;
  statusCode: string;
}

/** A capture report: PDF per the contract, but kept and served in whatever format the station sends. */
export interface CaptureReportFile {
  bytes: Buffer;
  /** `application/pdf` when the bytes start with `%PDF-`; else the station's content type (sanitised), or `application/octet-stream`. */
  contentType: string;
}

/**
 * Everything the gateway asks of one SPID station (one client instance per
 * station). CPFs are accepted as 11 digits or `000.000.000-00` and checked
 * locally before any request. Errors are the classes in `../errors.ts`:
 * UpstreamValidationError (bad CPF/e-mail/tguid), UpstreamConflictError with
 * reason `STATION_BUSY` | `WRONG_STATE` | `NO_OPERATOR`, UpstreamAuthError
 * (station token refused), UpstreamNotFoundError (unknown tguid),
 * UpstreamUnavailableError (5xx, timeout, reset, malformed answer, open circuit).
 */
export interface SpidStationApi {
  /** Starts the operator's login (has a side effect: never retried); the answer is settled. Confirm with `loginStatus()`. */
  login(operatorCpf: string): Promise<{ status: OperatorLoginStatus | UnknownStatus; statusCode: string }>;
  /** Idempotent read: retried on 5xx/timeouts. */
  loginStatus(): Promise<LoginState>;
  /** Starts the capture of a registered person, or says the person is not registered (any other answer counts as started: Capture Status tells the rest). */
  verify(cpf: string): Promise<VerifyStartStatus>;
  /** Starts the capture of a person to register. */
  enroll(cpf: string, name?: string): Promise<void>;
  /** Idempotent read: retried. */
  captureStatus(): Promise<CaptureState>;
  /** Starts the operator's biometric authentication (after CLIENT_CAPTURE_DONE, or from IDLE before a remote capture). */
  operatorCapture(): Promise<void>;
  /** Sends the finished capture (after OPERATOR_CAPTURE_DONE). Never retried: a retry could send twice. */
  send(): Promise<SendResult>;
  /** Idempotent read: retried. */
  result(tguid: string): Promise<CaptureResult>;
  /** The operation's report (PDF per the contract; another format is returned as is, with its content type). Idempotent read: retried. */
  report(tguid: string): Promise<CaptureReportFile>;
  /** Resends every capture kept on the station as pending (the seed recommends once a day). */
  resendAll(): Promise<ResendResult>;
  /** After OPERATOR_CAPTURE_DONE (operator-only capture): a link for the citizen's app. */
  remoteVerify(cpf: string, email?: string): Promise<RemoteLink>;
  remoteEnroll(cpf: string, email?: string): Promise<RemoteLink>;
  /** Idempotent read: retried. */
  remoteResult(tguid: string): Promise<RemoteResult>;
  close(): Promise<void>;
}
