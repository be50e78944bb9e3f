import { Arg, Authorized, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { AuditEntry } from './audit.resolver';
import { Capture } from './capture.type';
import type { Context } from './context';
import { Message } from './message.type';
import { Person } from './person.type';
import { personIdArg } from './person.resolver';
import { DateTimeScalar } from './scalars';
import { Transaction } from './transaction.type';
import { MutationPayload } from './mutation.payload';

@ObjectType({ description: 'What erasePerson did. Counts are of records rewritten (CPF → pseudonym) or deleted (reports).' })
export class PersonErasure {
  @Field(() => ID, { description: 'The person record, now under the pseudonym (an earlier pseudonymised record of the same CPF is kept instead, and its id given here).' })
  personId!: string;
  @Field(() => String, { description: 'The keyed pseudonym that replaced the CPF everywhere.' }) pseudonym!: string;
  @Field(() => Int, { description: 'Transactions rewritten.' }) transactions!: number;
  @Field(() => Int, { description: 'Direct messages rewritten.' }) messages!: number;
  @Field(() => Int, { description: 'Captures rewritten.' }) captures!: number;
  @Field(() => Int, { description: 'Capture report PDFs deleted (their captures then show report: null).' }) reportsDeleted!: number;
  @Field(() => Int, { description: 'Event snapshots rewritten.' }) events!: number;
  @Field(() => Int, { description: 'Audit targets rewritten.' }) auditEntries!: number;
}

@ObjectType({ implements: MutationPayload, description: 'What erasePerson answered.' })
export class ErasePersonPayload extends MutationPayload {
  @Field(() => PersonErasure, { nullable: true, description: 'What was rewritten and deleted; null on a userError (e.g. PERSON_HAS_OPEN_FLOWS).' })
  erasure: PersonErasure | null = null;
}

@ObjectType({ description: 'Everything this gateway holds about one person (LGPD art. 18 II), including records already pseudonymised.' })
export class PersonDataExport {
  @Field(() => Person, { description: 'The person record the export is about.' }) person!: Person;
  @Field(() => DateTimeScalar, { description: 'When this export was made.' }) exportedAt!: Date;
  @Field(() => [Transaction], { description: 'Newest first.' }) transactions!: Transaction[];
  @Field(() => [Message], { description: 'Direct messages, newest first.' }) messages!: Message[];
  @Field(() => [Capture], { description: 'Newest first; each with its `history` of recorded steps.' }) captures!: Capture[];
  @Field(() => [AuditEntry], { description: 'Audit records naming the person, their flows or their pseudonym, oldest first.' }) auditEntries!: AuditEntry[];
}

@Resolver()
export class PrivacyResolver {
  @Authorized('admin')
  @Mutation(() => ErasePersonPayload, {
    nullable: true,
    description:
      "Erases a person's CPF now (LGPD art. 18): every finished flow, event snapshot, idempotency record and audit target gets the pseudonym, report PDFs are deleted. Refused with PERSON_HAS_OPEN_FLOWS while a proof of life or capture of theirs is open. Admin; audited.",
  })
  async erasePerson(@Arg('id', () => ID, { description: 'The person.' }) id: string, @Ctx() ctx: Context): Promise<ErasePersonPayload> {
    const erasure = Object.assign(new PersonErasure(), await ctx.services.privacy.erasePerson(personIdArg(id)));
    return Object.assign(new ErasePersonPayload(), { erasure });
  }

  @Authorized('admin')
  @Query(() => PersonDataExport, { nullable: true, description: 'Everything held about a person, by id (null if unknown). Admin; every call is audited.' })
  async exportPersonData(@Arg('id', () => ID, { description: 'Global id of a Person (or, during 1.x, the raw UUID).' }) id: string, @Ctx() ctx: Context): Promise<PersonDataExport | null> {
    const personId = personIdArg(id);
    const base = { actor: ctx.user?.sub ?? null, role: ctx.user?.role ?? null, action: 'exportPersonData', target: `id:${personId}`, ip: ctx.request.ip };
    let data;
    try {
      data = await ctx.services.privacy.exportPersonData(personId);
    } catch (err) {
      await ctx.services.store.audit({ ...base, result: 'INTERNAL_SERVER_ERROR' });
      throw err;
    }
    // Recorded before anything is returned: an export the audit log does not know about never leaves.
    await ctx.services.store.audit({ ...base, result: data ? 'OK' : 'NOT_FOUND' });
    if (!data) return null;
    return {
      person: data.person,
      exportedAt: new Date(),
      transactions: data.transactions.map((r) => Transaction.from(r)),
      messages: data.messages.map((r) => Message.from(r)),
      captures: data.captures.map((r) => Capture.from(r)),
      auditEntries: data.audit.map((r) => AuditEntry.from(r)),
    };
  }
}
