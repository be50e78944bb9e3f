import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'type-graphql';
import { authChecker } from '../../resolvers/auth-checker';
import { CpfMasking } from '../../resolvers/cpf-masking';
import { ErrorMapper } from '../../resolvers/errors';
import { InputSanity } from '../../resolvers/input-sanity';
import { guardMutations } from '../../resolvers/mutation-guard';
import { describeRootTypes } from './root-descriptions';
import { simplifyPlainFields } from './simple-fields';
import { CPFScalar } from '../../resolvers/scalars';
import { StationScope } from '../../resolvers/station-scope';
import { AuditResolver } from '../../resolvers/audit.resolver';
import { CaptureResolver, PersonCapturesResolver } from '../../resolvers/capture.resolver';
import { MessageResolver } from '../../resolvers/message.resolver';
import { PersonResolver } from '../../resolvers/person.resolver';
import { PrivacyResolver } from '../../resolvers/privacy.resolver';
import { StationResolver } from '../../resolvers/station.resolver';
import { TransactionResolver } from '../../resolvers/transaction.resolver';
import { EventCursorResolver } from '../../resolvers/event-cursor.resolver';
import { FeedResolver } from '../../resolvers/feed.resolver';
import { StatsResolver } from '../../resolvers/stats.resolver';
import {
  AuditEntryIdResolver,
  CaptureIdResolver,
  MessageIdResolver,
  NodeResolver,
  PersonErasureIdResolver,
  PersonIdResolver,
  StationIdResolver,
  TransactionIdResolver,
} from '../../resolvers/node.resolver';

export const RESOLVERS = [
  PersonResolver,
  PersonCapturesResolver,
  TransactionResolver,
  MessageResolver,
  CaptureResolver,
  StationResolver,
  AuditResolver,
  PrivacyResolver,
  EventCursorResolver,
  FeedResolver,
  StatsResolver,
  NodeResolver,
  TransactionIdResolver,
  CaptureIdResolver,
  MessageIdResolver,
  PersonIdResolver,
  StationIdResolver,
  AuditEntryIdResolver,
  PersonErasureIdResolver,
] as const;

/**
 * The executable schema; `schema/schema.graphql` is emitted from exactly this.
 * Mutation fields are wrapped (rate limit, fail-closed audit) outside
 * type-graphql's chain, whose auth checker runs before any global middleware.
 */
export async function buildGatewaySchema(): Promise<GraphQLSchema> {
  simplifyPlainFields(CPFScalar.name);
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    authMode: 'error',
    globalMiddlewares: [ErrorMapper, InputSanity, StationScope, CpfMasking],
    validate: { forbidUnknownValues: false },
    // Our subscriptions bring their own `subscribe` (log replay + live tail, see EventBus);
    // type-graphql still insists on a PubSub being present, so it gets an unused one.
    pubSub: createPubSub(),
  });
  return describeRootTypes(guardMutations(schema));
}
