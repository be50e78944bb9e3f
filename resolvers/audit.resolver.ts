import { Arg, Authorized, Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { GraphQLError } from 'graphql';
import type { AuditRow } from '../src/store/schema';
import type { Context } from './context';
import { PageInfo } from './pagination';
import { DateTimeScalar } from './scalars';

@ObjectType({ description: 'One mutation: who, with which role, what, on what, with which result, when.' })
export class AuditEntry {
  @Field(() => String) id!: string;
  @Field(() => DateTimeScalar) at!: Date;
  @Field(() => String, { nullable: true }) actor!: string | null;
  @Field(() => String, { nullable: true }) role!: string | null;
  @Field(() => String) action!: string;
  @Field(() => String, { nullable: true, description: 'Entity type and id, or a masked CPF.' }) target!: string | null;
  @Field(() => String, { description: 'OK, or the error code.' }) result!: string;
  @Field(() => String, { nullable: true }) ip!: string | null;

  static from(r: AuditRow): AuditEntry {
    return Object.assign(new AuditEntry(), { ...r, id: String(r.id) });
  }
}

@ObjectType()
export class AuditConnection {
  @Field(() => [AuditEntry]) nodes!: AuditEntry[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@Resolver()
export class AuditResolver {
  @Authorized('admin')
  @Query(() => AuditConnection, { description: 'The audit log, newest first (admin).' })
  async auditLog(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Arg('actor', () => String, { nullable: true }) actor: string | null,
    @Arg('action', () => String, { nullable: true }) action: string | null,
  ): Promise<AuditConnection> {
    if (first < 1 || first > 100) throw new GraphQLError('first must be between 1 and 100', { extensions: { code: 'BAD_USER_INPUT', fields: { first: 'must be between 1 and 100' } } });
    if (after != null && !/^\d{1,15}$/.test(after)) throw new GraphQLError('Invalid cursor', { extensions: { code: 'BAD_USER_INPUT', fields: { after: 'Not a cursor this API returned' } } });
    const page = await ctx.services.store.listAudit({ actor: actor ?? undefined, action: action ?? undefined }, first, after == null ? null : Number(after));
    const nodes = page.items.map((r) => AuditEntry.from(r));
    return { nodes, pageInfo: { hasNextPage: page.hasNextPage, endCursor: nodes.at(-1)?.id ?? null } };
  }
}
