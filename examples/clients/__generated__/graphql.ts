/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** Where a capture is. Station steps: STARTING, CLIENT_CAPTURING, CLIENT_CAPTURE_DONE, OPERATOR_CAPTURING, OPERATOR_CAPTURE_DONE, SENDING. Waiting: CAPTURE_PENDING (send kept on the station for a resend), PROCESSING, WAITING_CLIENT (remote link handed out). Ends: SEARCH_MATCH, SEARCH_NOT_MATCH, ENROLLED, ENROLL_REJECTED, EXPIRED, PERSON_NOT_FOUND (only when started with enrollIfNotFound off; with it on, the same capture goes on to enroll: CLIENT_CAPTURING, kind ENROLL), CAPTURE_CANCELED, CAPTURE_FAILED (at the desk), SEND_UNCONFIRMED (the send answer was lost), FAILED (could not start, the station stayed idle past its timeout after the start, or it was reset under the capture). STARTING outlives a start whose station call failed without proof it never arrived: the gateway follows the station and never repeats the call. */
export type CaptureStatus =
  /** Cancelled at the desk. Final. */
  | 'CAPTURE_CANCELED'
  /** The station gave up at the desk (capture quality still bad after its retries). Final. */
  | 'CAPTURE_FAILED'
  /** The station could not reach the SPID server and keeps the capture; resendPendingCaptures (or the daily job) sends it again. */
  | 'CAPTURE_PENDING'
  /** Citizen captured; the operator's capture comes next (automatic, or startOperatorCapture when autoAdvance is false). */
  | 'CLIENT_CAPTURE_DONE'
  /** The station is capturing the citizen's fingerprints. */
  | 'CLIENT_CAPTURING'
  /** Enroll: the SPID server registered the fingerprints for the CPF. Final. */
  | 'ENROLLED'
  /** Enroll: the SPID server refused the enrolment. Final. */
  | 'ENROLL_REJECTED'
  /** Remote: the citizen never used the link. Final. */
  | 'EXPIRED'
  /** Could not start, the station stayed idle past its timeout after the start, or it was reset under the capture (see detail). Final. */
  | 'FAILED'
  /** Operator captured; the send comes next (automatic, or sendCapture when autoAdvance is false). Remote: the link is requested next. */
  | 'OPERATOR_CAPTURE_DONE'
  /** The station is capturing the operator's fingerprints, which authenticates the operator. */
  | 'OPERATOR_CAPTURING'
  /** Verify: the SPID server has no record of the CPF. Final, unless enrollIfNotFound: then the enroll starts on the same reader. */
  | 'PERSON_NOT_FOUND'
  /** Sent; the SPID server is matching or enrolling (an enroll can take long). The gateway polls for the result. */
  | 'PROCESSING'
  /** Verify: the citizen's fingerprints match the CPF's record. Final. */
  | 'SEARCH_MATCH'
  /** Verify: the fingerprints do not match the CPF's record. Final; an enroll may follow. */
  | 'SEARCH_NOT_MATCH'
  /** The gateway is sending the capture through the station to the SPID server (remote: asking for the link). */
  | 'SENDING'
  /** The station took the send but its answer (with the TGUID) was lost, so the result cannot be looked up. Final; a person must check at the station. */
  | 'SEND_UNCONFIRMED'
  /** Recorded by the gateway; the start call to the station is in flight, or its answer was lost (the gateway then follows the station, never calling again). */
  | 'STARTING'
  /** Remote: the link (remoteUrl) is out; waiting for the citizen to use it. */
  | 'WAITING_CLIENT';

/** SPID Login / Login Status (vendor manual). Every value is a settled answer; only OPERATOR_OK and OPERATOR_OFFLINE_OK let the operator capture. */
export type OperatorLoginStatus =
  /** The station reported an error. */
  | 'ERROR'
  /** Login Status only: nobody has logged in since the station started. */
  | 'NOT_LOGGED_IN'
  /** The login failed. */
  | 'OPERATOR_FAILED'
  /** The SPID server is still processing the operator's own enrolment: try again later. Not "login still running". */
  | 'OPERATOR_IN_PROGRESS'
  /** No such operator on the SPID server. */
  | 'OPERATOR_NOT_FOUND'
  /** Logged in from the station's local base: the SPID server was unreachable. */
  | 'OPERATOR_OFFLINE_OK'
  /** Logged in. */
  | 'OPERATOR_OK'
  /** The operator was added by an administrator but has not provided biometrics yet: enrol the operator first. Not "login still running". */
  | 'OPERATOR_PENDING'
  /** A status this gateway does not know; the raw value is in statusCode / loginStatusCode. */
  | 'UNKNOWN';

/** What the request is for (upstream `categoria`, vbeta4 only). */
export type ProofOfLifeCategory =
  /** `OU`: any other confirmation. */
  | 'OTHER'
  /** `PV`: a proof of life. */
  | 'PROOF_OF_LIFE';

/** How the citizen answers in the gov.br app (upstream `tipo`). */
export type ProofOfLifeKind =
  /** `C`: the citizen only confirms in the app, without biometry. */
  | 'CONFIRMATION'
  /** `B`: the citizen passes a facial-biometry check in the app. */
  | 'FACIAL_BIOMETRY';

/** A proof-of-life request. Giving `sealReuseWindowMinutes` selects the transaction with the facial-biometry seal. */
export type RequestProofOfLifeInput = {
  /** Sent only with API version vbeta4. Default PROOF_OF_LIFE. */
  category?: ProofOfLifeCategory | null | undefined;
  /** The citizen to ask; their gov.br app gets the notification. */
  cpf: string;
  /** Minutes until the request expires (1 to 43200, 30 days). */
  expiresInMinutes?: number;
  /** Shown to the citizen when the proof of life fails. */
  failureMessage?: string | null | undefined;
  /** Retry-safe key (or the Idempotency-Key header): a retry returns the first result and the citizen is not notified twice. */
  idempotencyKey?: string | null | undefined;
  /** How the citizen answers (`tipo`). */
  kind?: ProofOfLifeKind;
  /** Shown to the citizen, e.g. "Obter benefício previdenciário". */
  reason: string;
  /** A facial validation by the citizen within this many minutes before the request authorises it at once (seal). Omit for a simple transaction. */
  sealReuseWindowMinutes?: number | null | undefined;
  /** Shown to the citizen when it succeeds. */
  successMessage?: string | null | undefined;
};

/** A message to push to the gov.br app: to one citizen, or to everyone when cpf is omitted. */
export type SendMessageInput = {
  /** The text shown in the app, 1 to 4000 characters. */
  content: string;
  /** The citizen; omit to broadcast to everyone (admin only). */
  cpf?: string | null | undefined;
  /** Retry-safe key (or the Idempotency-Key header): the citizen is not notified twice. */
  idempotencyKey?: string | null | undefined;
  /** The title shown in the app, 1 to 200 characters. */
  title: string;
};

/** What a TransactionEvent recorded. */
export type TransactionEventType =
  /** The citizen gave the proof of life (status AUTHORIZED). */
  | 'AUTHORIZED'
  /** The transaction was cancelled (status CANCELLED). */
  | 'CANCELLED'
  /** The citizen refused or a check failed (status DENIED). */
  | 'DENIED'
  /** expiresAt passed without an answer (status EXPIRED). */
  | 'EXPIRED'
  /** The request never took effect at gov.br. */
  | 'FAILED'
  /** gov.br's answer to the request arrived (status PENDING, or already final). */
  | 'REQUESTED'
  /** Recorded before gov.br is asked (status REQUESTING). */
  | 'REQUESTING'
  /** The request's outcome is unknown (see TransactionStatus.UNCONFIRMED). */
  | 'UNCONFIRMED'
  /** Something visible changed without a new status: seal, response, cancellation, category or expiresAt. */
  | 'UPDATED';

/** Derived: the upstream has no status field (answer → AUTHORIZED/DENIED, cancellation → CANCELLED, past expiry → EXPIRED). */
export type TransactionStatus =
  /** The citizen gave the proof of life, or a fresh seal authorised it at creation (see autoAuthorized). Final. */
  | 'AUTHORIZED'
  /** Cancelled by cancelProofOfLife, or by gov.br because the citizen has no biometry; see cancellation. Final. */
  | 'CANCELLED'
  /** The citizen refused or a check failed (see denialReason). Final. */
  | 'DENIED'
  /** No answer by expiresAt. gov.br never marks expiry: the gateway derives it from the clock. Final. */
  | 'EXPIRED'
  /** The request provably never took effect at gov.br (refused or never sent); it is safe to ask again. */
  | 'FAILED'
  /** gov.br has it; waiting for the citizen. */
  | 'PENDING'
  /** Recorded by the gateway; the request to gov.br is in flight (at most a few upstream timeouts). */
  | 'REQUESTING'
  /** The request may have reached gov.br, but its answer never reached the gateway (timeout, upstream error, crash). It is never re-sent automatically. A person should check with gov.br / the citizen whether a notification arrived before asking again: a new request notifies the citizen again. */
  | 'UNCONFIRMED';

/** Why a mutation did not take effect, when that is an expected outcome the caller can act on. */
export type UserErrorCode =
  /** An argument is invalid (our checks or the upstream's); `field` names it. */
  | 'BAD_USER_INPUT'
  /** The first request with this idempotency key is still running; retry shortly. */
  | 'IDEMPOTENCY_IN_PROGRESS'
  /** This idempotency key was used with a different request. */
  | 'IDEMPOTENCY_KEY_REUSED'
  /** The idempotency key is not 8 to 200 characters of A-Z a-z 0-9 . _ : -. */
  | 'INVALID_IDEMPOTENCY_KEY'
  /** The entity the arguments name does not exist (here or upstream). */
  | 'NOT_FOUND'
  /** No operator is logged in on the station: call loginOperator first. */
  | 'NO_OPERATOR'
  /** The person has a proof of life or capture still open; erase once they end. */
  | 'PERSON_HAS_OPEN_FLOWS'
  /** The station is holding another capture; wait for it to end. */
  | 'STATION_BUSY'
  /** No station with this id is configured. */
  | 'UNKNOWN_STATION'
  /** The upstream refused the step in its current state for another reason (e.g. cancelling on an API version without cancel, an already answered transaction). */
  | 'UPSTREAM_CONFLICT'
  /** The entity is not in a state that allows this step. */
  | 'WRONG_STATE';

export type PageFieldsFragment = { __typename: 'PageInfo', hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null };

export type TransactionPageQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}>;


export type TransactionPageQuery = { __typename: 'Query', transactions: { __typename: 'TransactionConnection', totalCount: number, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }, nodes: Array<{ __typename: 'Transaction', id: string, status: TransactionStatus, createdAt: string, person: { __typename: 'Person', id: string, cpf: string } }> } };

export type PersonWithTransactionsQueryVariables = Exact<{
  id: string;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type PersonWithTransactionsQuery = { __typename: 'Query', person: { __typename: 'Person', id: string, cpf: string, firstSeenAt: string, transactions: { __typename: 'TransactionConnection', totalCount: number, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }, nodes: Array<{ __typename: 'Transaction', id: string, status: TransactionStatus, person: { __typename: 'Person', id: string } }> } } | null };

export type TransactionWithPersonQueryVariables = Exact<{
  id: string;
}>;


export type TransactionWithPersonQuery = { __typename: 'Query', transaction: { __typename: 'Transaction', id: string, status: TransactionStatus, person: { __typename: 'Person', id: string, cpf: string, transactions: { __typename: 'TransactionConnection', totalCount: number } } } | null };

export type PersonTransactionCountQueryVariables = Exact<{
  id: string;
}>;


export type PersonTransactionCountQuery = { __typename: 'Query', person: { __typename: 'Person', id: string, transactions: { __typename: 'TransactionConnection', totalCount: number } } | null };

export type AnyNodeQueryVariables = Exact<{
  id: string;
}>;


export type AnyNodeQuery = { __typename: 'Query', node:
    | { __typename: 'AuditEntry', action: string, result: string, id: string }
    | { __typename: 'Capture', id: string, captureStatus: CaptureStatus, station: { __typename: 'Station', id: string, code: string } | null }
    | { __typename: 'Message', title: string, id: string }
    | { __typename: 'Person', cpf: string, id: string }
    | { __typename: 'Station', code: string, name: string, id: string }
    | { __typename: 'Transaction', id: string, transactionStatus: TransactionStatus }
   | null };

export type StationsQueryVariables = Exact<{ [key: string]: never; }>;


export type StationsQuery = { __typename: 'Query', stations: Array<{ __typename: 'Station', id: string, code: string, name: string }> };

export type AuditPageQueryVariables = Exact<{
  first?: number | null | undefined;
}>;


export type AuditPageQuery = { __typename: 'Query', auditLog: { __typename: 'AuditEntryConnection', totalCount: number, nodes: Array<{ __typename: 'AuditEntry', id: string, action: string }> } };

export type RequestPolMutationVariables = Exact<{
  input: RequestProofOfLifeInput;
}>;


export type RequestPolMutation = { __typename: 'Mutation', requestProofOfLife: { __typename: 'RequestProofOfLifePayload', transaction: { __typename: 'Transaction', id: string, status: TransactionStatus, person: { __typename: 'Person', id: string } } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } | null };

export type SendMessageMutationVariables = Exact<{
  input: SendMessageInput;
}>;


export type SendMessageMutation = { __typename: 'Mutation', sendMessage: { __typename: 'SendMessagePayload', message: { __typename: 'Message', id: string, title: string } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } | null };

export type LoginAndTwoCapturesMutationVariables = Exact<{
  station: string;
  operator: string;
  a: string;
  b: string;
}>;


export type LoginAndTwoCapturesMutation = { __typename: 'Mutation', login: { __typename: 'LoginOperatorPayload', station: { __typename: 'Station', id: string, loginStatus: OperatorLoginStatus | null } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } | null, first: { __typename: 'StartPresentialCapturePayload', capture: { __typename: 'Capture', id: string, status: CaptureStatus } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } | null, second: { __typename: 'StartPresentialCapturePayload', capture: { __typename: 'Capture', id: string, status: CaptureStatus } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } | null };

export type TransactionChangedSubscriptionVariables = Exact<{
  id?: string | null | undefined;
}>;


export type TransactionChangedSubscription = { transactionResponseChanged: { __typename: 'TransactionEvent', seq: number, type: TransactionEventType, transaction: { __typename: 'Transaction', id: string, status: TransactionStatus } } };

export const PageFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"PageFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"PageInfo"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]} as unknown as DocumentNode<PageFieldsFragment, unknown>;
export const TransactionPageDocument = {"__meta__":{"hash":"sha256:a0d0ba4658a31537b113e0dfbfe551828040735bd6ffe6438dd7361ab3f67350"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"TransactionPage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"last"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"before"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"transactions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"last"}}},{"kind":"Argument","name":{"kind":"Name","value":"before"},"value":{"kind":"Variable","name":{"kind":"Name","value":"before"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"PageFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"person"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"cpf"}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"PageFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"PageInfo"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]} as unknown as DocumentNode<TransactionPageQuery, TransactionPageQueryVariables>;
export const PersonWithTransactionsDocument = {"__meta__":{"hash":"sha256:1875133c493324d2e5a7a7ce436e4893ba4f19f0a31c2e4f510ac93750ac40e6"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PersonWithTransactions"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"person"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"cpf"}},{"kind":"Field","name":{"kind":"Name","value":"firstSeenAt"}},{"kind":"Field","name":{"kind":"Name","value":"transactions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"PageFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"person"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"PageFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"PageInfo"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]} as unknown as DocumentNode<PersonWithTransactionsQuery, PersonWithTransactionsQueryVariables>;
export const TransactionWithPersonDocument = {"__meta__":{"hash":"sha256:f28aaaa07f28a3934b60300a8e7e691eea0230e83c0d48e74ef94e2d358423c7"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"TransactionWithPerson"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"transaction"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"person"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"cpf"}},{"kind":"Field","name":{"kind":"Name","value":"transactions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}}]}}]}}]}}]} as unknown as DocumentNode<TransactionWithPersonQuery, TransactionWithPersonQueryVariables>;
export const PersonTransactionCountDocument = {"__meta__":{"hash":"sha256:6af70a0ce7e26330d9b28281af38a7731da91fcf90bb4485a396c4f1dc1e63d4"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PersonTransactionCount"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"person"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"transactions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}}]}}]}}]} as unknown as DocumentNode<PersonTransactionCountQuery, PersonTransactionCountQueryVariables>;
export const AnyNodeDocument = {"__meta__":{"hash":"sha256:cd462aeaff4dabb4ff8f7e6d81b53f0453e21e9837bf5f3a37334e3deb1fd413"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AnyNode"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Transaction"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","alias":{"kind":"Name","value":"transactionStatus"},"name":{"kind":"Name","value":"status"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Capture"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","alias":{"kind":"Name","value":"captureStatus"},"name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"station"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Message"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"title"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Person"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"cpf"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Station"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"AuditEntry"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"result"}}]}}]}}]}}]} as unknown as DocumentNode<AnyNodeQuery, AnyNodeQueryVariables>;
export const StationsDocument = {"__meta__":{"hash":"sha256:c1e997e84a692ed8d1ebfbd0db7c51edea87c279a01cda487de1241457371b1d"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Stations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"stations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]} as unknown as DocumentNode<StationsQuery, StationsQueryVariables>;
export const AuditPageDocument = {"__meta__":{"hash":"sha256:36e6e243a1399138825a834052ca35494827fb2eea34126fcd9ad96c8492d068"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuditPage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"auditLog"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"action"}}]}}]}}]}}]} as unknown as DocumentNode<AuditPageQuery, AuditPageQueryVariables>;
export const RequestPolDocument = {"__meta__":{"hash":"sha256:2ada95330e1597a63e044cc351acd90d0c5c465d2ce47e8f82496f49286189ae"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RequestPol"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RequestProofOfLifeInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"requestProofOfLife"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"transaction"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"person"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<RequestPolMutation, RequestPolMutationVariables>;
export const SendMessageDocument = {"__meta__":{"hash":"sha256:a5c2df9c4bba3757418ce96cebf5cbc1534ac660f14820d1e5f9475aa516146a"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SendMessage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SendMessageInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"sendMessage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"message"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<SendMessageMutation, SendMessageMutationVariables>;
export const LoginAndTwoCapturesDocument = {"__meta__":{"hash":"sha256:94154e069e6df2172cb51f75f9ada7db7beaae0368b08766ee307cfe727bb911"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"LoginAndTwoCaptures"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"station"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"operator"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CPF"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"a"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CPF"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"b"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CPF"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","alias":{"kind":"Name","value":"login"},"name":{"kind":"Name","value":"loginOperator"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"stationId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"station"}}},{"kind":"Argument","name":{"kind":"Name","value":"operatorCpf"},"value":{"kind":"Variable","name":{"kind":"Name","value":"operator"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"station"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"loginStatus"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}},{"kind":"Field","alias":{"kind":"Name","value":"first"},"name":{"kind":"Name","value":"startPresentialCapture"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"stationId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"station"}}},{"kind":"Argument","name":{"kind":"Name","value":"cpf"},"value":{"kind":"Variable","name":{"kind":"Name","value":"a"}}},{"kind":"Argument","name":{"kind":"Name","value":"autoAdvance"},"value":{"kind":"BooleanValue","value":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"capture"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}},{"kind":"Field","alias":{"kind":"Name","value":"second"},"name":{"kind":"Name","value":"startPresentialCapture"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"stationId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"station"}}},{"kind":"Argument","name":{"kind":"Name","value":"cpf"},"value":{"kind":"Variable","name":{"kind":"Name","value":"b"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"capture"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<LoginAndTwoCapturesMutation, LoginAndTwoCapturesMutationVariables>;
export const TransactionChangedDocument = {"__meta__":{"hash":"sha256:2ba5c0da92f288083ab29c55b1cd7f9d6ccc71fe7afa4a5a6839c11efc4ca1a9"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"TransactionChanged"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"transactionResponseChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"transactionId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"transaction"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<TransactionChangedSubscription, TransactionChangedSubscriptionVariables>;