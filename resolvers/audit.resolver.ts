import { Arg, Args, Authorized, Ctx, Field, ID, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import type { AuditRow } from '../src/store/schema';
import type { Context } from './context';
import { Node } from './node.type';
import { buildConnection, connectionTypes, PageArgs, pageWindow, type CursorCodec } from './pagination';
import { DateTimeScalar } from './scalars';

/** Who acted, as recorded in the audit log. */
export enum AuditRole {
  VIEWER = 'viewer',
  OPERATOR = 'operator',
  ADMIN = 'admin',
  RECONCILER = 'reconciler',
}
registerEnumType(AuditRole, {
  name: 'AuditRole',
  description: 'The role a record was made under.',
  valuesConfig: {
    VIEWER: { description: 'A viewer token.' },
    OPERATOR: { description: 'An operator token.' },
    ADMIN: { description: 'An admin token.' },
    RECONCILER: { description: "The gateway itself, settling an intent nobody completed (a crash): the record's actor is the original caller." },
  },
});

@ObjectType({ implements: Node, description: 'One mutation: who, with which role, what, on what, with which result, when.' })
export class AuditEntry {
  /** The entry's number inside the gateway; clients get the global id. */
  @Field(() => ID, { description: 'Global id.' }) id!: string;
  @Field(() => DateTimeScalar, { description: 'When the attempt was recorded; for a mutation, before it ran.' }) at!: Date;
  @Field(() => String, { nullable: true, description: "The token's subject (`sub`); null for a request without a valid token." }) actor!: string | null;
  @Field(() => AuditRole, { nullable: true, description: "The token's role, or RECONCILER for the gateway's own records; null without a valid token." }) role!: AuditRole | null;
  @Field(() => String, {
    description:
      'The mutation field name, or downloadReport / exportPersonData; for an operation refused before any field ran, its distinct root fields joined by commas.',
  })
  action!: string;
  @Field(() => String, { nullable: true, description: 'Entity type and id, or a masked CPF.' }) target!: string | null;
  @Field(() => String, {
    description: 'OK, UNCONFIRMED (the upstream may have acted), or the error code; PENDING while it runs, or for good if the process died during it.',
  })
  result!: string;
  @Field(() => String, { nullable: true, description: "The client's address (behind TRUST_PROXY, the first untrusted X-Forwarded-For hop); null if unknown." })
  ip!: string | null;

  static from(r: AuditRow): AuditEntry {
    return Object.assign(new AuditEntry(), { ...r, id: String(r.id) });
  }
}

const auditTypes = connectionTypes(AuditEntry, 'AuditEntry', 'audit entry', 'audit entries');
export const AuditConnection = auditTypes.Connection;
export type AuditConnection = InstanceType<typeof auditTypes.Connection>;

/** Audit entries page by their number (append order): base64url of "audit|<id>". */
const auditCursor: CursorCodec<number> = {
  encode: (id) => Buffer.from(`audit|${id}`).toString('base64url'),
  decode(s) {
    const m = /^audit\|([1-9]\d{0,14})$/.exec(Buffer.from(s, 'base64url').toString('utf8'));
    return m ? Number(m[1]) : null;
  },
};

@Resolver()
export class AuditResolver {
  @Authorized('admin')
  @Query(() => AuditConnection, { description: 'The audit log, newest first (admin).' })
  async auditLog(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('actor', () => String, { nullable: true, description: "Only this token subject's records." }) actor: string | null,
    @Arg('action', () => String, { nullable: true, description: 'Only records of this action (a mutation name, downloadReport or exportPersonData).' }) action: string | null,
  ): Promise<AuditConnection> {
    const window = pageWindow(page, auditCursor);
    const filter = { actor: actor ?? undefined, action: action ?? undefined };
    const res = await ctx.services.store.pageAudit(filter, window);
    return buildConnection(AuditConnection, window, res, auditCursor, (r) => r.id, (r) => AuditEntry.from(r), () => ctx.services.store.countAudit(filter));
  }
}
