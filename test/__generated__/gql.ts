/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment MessageFields on Message {\n  id\n  cpf\n  kind\n  title\n  content\n  status\n  sender {\n    cnpj\n    name\n  }\n  createdAt\n  deletedAt\n}\n\nmutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageFields\n  }\n}\n\nmutation DeleteMessage($id: UUID!) {\n  deleteMessage(id: $id) {\n    ...MessageFields\n  }\n}\n\nquery Message($id: UUID!) {\n  message(id: $id) {\n    ...MessageFields\n  }\n}": typeof types.MessageFieldsFragmentDoc,
    "query Person($cpf: CPF!) {\n  person(cpf: $cpf) {\n    cpf\n    firstSeenAt\n    transactions {\n      id\n      status\n      createdAt\n    }\n    messages {\n      id\n      title\n      status\n    }\n  }\n}": typeof types.PersonDocument,
    "fragment TransactionFields on Transaction {\n  id\n  cpf\n  status\n  kind\n  category\n  reason\n  apiVersion\n  autoAuthorized\n  denialReason\n  sealReuseWindowMinutes\n  requester {\n    cnpj\n    name\n    service\n  }\n  response {\n    authorized\n    answeredAt\n    denialReason\n  }\n  seal {\n    reuseFrom\n    available\n    validatedAt\n    used\n  }\n  cancellation {\n    code\n    rawCode\n    reason\n    cancelledAt\n  }\n  createdAt\n  expiresAt\n  updatedAt\n}\n\nmutation RequestProofOfLife($input: RequestProofOfLifeInput!) {\n  requestProofOfLife(input: $input) {\n    ...TransactionFields\n  }\n}\n\nmutation CancelProofOfLife($id: UUID!) {\n  cancelProofOfLife(id: $id) {\n    ...TransactionFields\n  }\n}\n\nquery Transaction($id: UUID!) {\n  transaction(id: $id) {\n    ...TransactionFields\n    person {\n      cpf\n    }\n  }\n}\n\nquery Transactions($cpf: CPF, $status: [TransactionStatus!], $first: Int, $after: String) {\n  transactions(cpf: $cpf, status: $status, first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        cpf\n        status\n        createdAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nsubscription TransactionResponseChanged($transactionId: UUID, $cpf: CPF, $afterSeq: SafeInt) {\n  transactionResponseChanged(\n    transactionId: $transactionId\n    cpf: $cpf\n    afterSeq: $afterSeq\n  ) {\n    seq\n    type\n    at\n    transaction {\n      ...TransactionFields\n    }\n  }\n}": typeof types.TransactionFieldsFragmentDoc,
};
const documents: Documents = {
    "fragment MessageFields on Message {\n  id\n  cpf\n  kind\n  title\n  content\n  status\n  sender {\n    cnpj\n    name\n  }\n  createdAt\n  deletedAt\n}\n\nmutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageFields\n  }\n}\n\nmutation DeleteMessage($id: UUID!) {\n  deleteMessage(id: $id) {\n    ...MessageFields\n  }\n}\n\nquery Message($id: UUID!) {\n  message(id: $id) {\n    ...MessageFields\n  }\n}": types.MessageFieldsFragmentDoc,
    "query Person($cpf: CPF!) {\n  person(cpf: $cpf) {\n    cpf\n    firstSeenAt\n    transactions {\n      id\n      status\n      createdAt\n    }\n    messages {\n      id\n      title\n      status\n    }\n  }\n}": types.PersonDocument,
    "fragment TransactionFields on Transaction {\n  id\n  cpf\n  status\n  kind\n  category\n  reason\n  apiVersion\n  autoAuthorized\n  denialReason\n  sealReuseWindowMinutes\n  requester {\n    cnpj\n    name\n    service\n  }\n  response {\n    authorized\n    answeredAt\n    denialReason\n  }\n  seal {\n    reuseFrom\n    available\n    validatedAt\n    used\n  }\n  cancellation {\n    code\n    rawCode\n    reason\n    cancelledAt\n  }\n  createdAt\n  expiresAt\n  updatedAt\n}\n\nmutation RequestProofOfLife($input: RequestProofOfLifeInput!) {\n  requestProofOfLife(input: $input) {\n    ...TransactionFields\n  }\n}\n\nmutation CancelProofOfLife($id: UUID!) {\n  cancelProofOfLife(id: $id) {\n    ...TransactionFields\n  }\n}\n\nquery Transaction($id: UUID!) {\n  transaction(id: $id) {\n    ...TransactionFields\n    person {\n      cpf\n    }\n  }\n}\n\nquery Transactions($cpf: CPF, $status: [TransactionStatus!], $first: Int, $after: String) {\n  transactions(cpf: $cpf, status: $status, first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        cpf\n        status\n        createdAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nsubscription TransactionResponseChanged($transactionId: UUID, $cpf: CPF, $afterSeq: SafeInt) {\n  transactionResponseChanged(\n    transactionId: $transactionId\n    cpf: $cpf\n    afterSeq: $afterSeq\n  ) {\n    seq\n    type\n    at\n    transaction {\n      ...TransactionFields\n    }\n  }\n}": types.TransactionFieldsFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment MessageFields on Message {\n  id\n  cpf\n  kind\n  title\n  content\n  status\n  sender {\n    cnpj\n    name\n  }\n  createdAt\n  deletedAt\n}\n\nmutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageFields\n  }\n}\n\nmutation DeleteMessage($id: UUID!) {\n  deleteMessage(id: $id) {\n    ...MessageFields\n  }\n}\n\nquery Message($id: UUID!) {\n  message(id: $id) {\n    ...MessageFields\n  }\n}"): (typeof documents)["fragment MessageFields on Message {\n  id\n  cpf\n  kind\n  title\n  content\n  status\n  sender {\n    cnpj\n    name\n  }\n  createdAt\n  deletedAt\n}\n\nmutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageFields\n  }\n}\n\nmutation DeleteMessage($id: UUID!) {\n  deleteMessage(id: $id) {\n    ...MessageFields\n  }\n}\n\nquery Message($id: UUID!) {\n  message(id: $id) {\n    ...MessageFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Person($cpf: CPF!) {\n  person(cpf: $cpf) {\n    cpf\n    firstSeenAt\n    transactions {\n      id\n      status\n      createdAt\n    }\n    messages {\n      id\n      title\n      status\n    }\n  }\n}"): (typeof documents)["query Person($cpf: CPF!) {\n  person(cpf: $cpf) {\n    cpf\n    firstSeenAt\n    transactions {\n      id\n      status\n      createdAt\n    }\n    messages {\n      id\n      title\n      status\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment TransactionFields on Transaction {\n  id\n  cpf\n  status\n  kind\n  category\n  reason\n  apiVersion\n  autoAuthorized\n  denialReason\n  sealReuseWindowMinutes\n  requester {\n    cnpj\n    name\n    service\n  }\n  response {\n    authorized\n    answeredAt\n    denialReason\n  }\n  seal {\n    reuseFrom\n    available\n    validatedAt\n    used\n  }\n  cancellation {\n    code\n    rawCode\n    reason\n    cancelledAt\n  }\n  createdAt\n  expiresAt\n  updatedAt\n}\n\nmutation RequestProofOfLife($input: RequestProofOfLifeInput!) {\n  requestProofOfLife(input: $input) {\n    ...TransactionFields\n  }\n}\n\nmutation CancelProofOfLife($id: UUID!) {\n  cancelProofOfLife(id: $id) {\n    ...TransactionFields\n  }\n}\n\nquery Transaction($id: UUID!) {\n  transaction(id: $id) {\n    ...TransactionFields\n    person {\n      cpf\n    }\n  }\n}\n\nquery Transactions($cpf: CPF, $status: [TransactionStatus!], $first: Int, $after: String) {\n  transactions(cpf: $cpf, status: $status, first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        cpf\n        status\n        createdAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nsubscription TransactionResponseChanged($transactionId: UUID, $cpf: CPF, $afterSeq: SafeInt) {\n  transactionResponseChanged(\n    transactionId: $transactionId\n    cpf: $cpf\n    afterSeq: $afterSeq\n  ) {\n    seq\n    type\n    at\n    transaction {\n      ...TransactionFields\n    }\n  }\n}"): (typeof documents)["fragment TransactionFields on Transaction {\n  id\n  cpf\n  status\n  kind\n  category\n  reason\n  apiVersion\n  autoAuthorized\n  denialReason\n  sealReuseWindowMinutes\n  requester {\n    cnpj\n    name\n    service\n  }\n  response {\n    authorized\n    answeredAt\n    denialReason\n  }\n  seal {\n    reuseFrom\n    available\n    validatedAt\n    used\n  }\n  cancellation {\n    code\n    rawCode\n    reason\n    cancelledAt\n  }\n  createdAt\n  expiresAt\n  updatedAt\n}\n\nmutation RequestProofOfLife($input: RequestProofOfLifeInput!) {\n  requestProofOfLife(input: $input) {\n    ...TransactionFields\n  }\n}\n\nmutation CancelProofOfLife($id: UUID!) {\n  cancelProofOfLife(id: $id) {\n    ...TransactionFields\n  }\n}\n\nquery Transaction($id: UUID!) {\n  transaction(id: $id) {\n    ...TransactionFields\n    person {\n      cpf\n    }\n  }\n}\n\nquery Transactions($cpf: CPF, $status: [TransactionStatus!], $first: Int, $after: String) {\n  transactions(cpf: $cpf, status: $status, first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        cpf\n        status\n        createdAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nsubscription TransactionResponseChanged($transactionId: UUID, $cpf: CPF, $afterSeq: SafeInt) {\n  transactionResponseChanged(\n    transactionId: $transactionId\n    cpf: $cpf\n    afterSeq: $afterSeq\n  ) {\n    seq\n    type\n    at\n    transaction {\n      ...TransactionFields\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;