import { unwrap, type Unwrapped } from '../helpers/payload';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { signToken, type Role } from '../../src/auth/jwt';
import { loadConfig } from '../../src/config';
import type { GraphQLResponse } from '../helpers/gateway';

/** The dev JWT settings every test gateway process uses (NODE_ENV=test, no JWT_SECRET). */
const jwt = loadConfig({ NODE_ENV: 'test' }).jwt;

export const tokenFor = (role: Role) => signToken(jwt, { sub: `faults-${role}`, role });

/** One GraphQL call over real HTTP; fails the test on any GraphQL error. */
export async function gql<R, V>(url: string, doc: TypedDocumentNode<R, V>, variables: V, role: Role = 'operator'): Promise<Unwrapped<R>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(role)}` },
    body: JSON.stringify({ query: print(doc), variables }),
  });
  const body = (await res.json()) as GraphQLResponse<R>;
  if (body.errors?.length || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return unwrap(body.data);
}
