import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from './node.type';
import { CPFScalar, DateTimeScalar } from './scalars';

@ObjectType({
  implements: Node,
  description:
    'A citizen, known to this gateway by CPF once a flow or message involved them. After retention or erasure the record stays, under a pseudonym instead of the CPF (see `pseudonymized`).',
})
export class Person {
  @Field(() => ID, { description: 'Stable global id, not derived from the CPF; it survives pseudonymisation (erasePerson, exportPersonData).' })
  id!: string;
  @Field(() => CPFScalar, { description: 'The CPF, or its pseudonym `pseud:…` once `pseudonymized`.' }) cpf!: string;
  @Field(() => DateTimeScalar, { description: 'When a flow or message first involved this CPF; kept through pseudonymisation.' }) firstSeenAt!: Date;
}
