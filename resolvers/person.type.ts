import { Field, ObjectType } from 'type-graphql';
import { CPFScalar, DateTimeScalar } from './scalars';

@ObjectType({ description: 'A citizen, known to this gateway by CPF once a flow or message involved them.' })
export class Person {
  @Field(() => CPFScalar) cpf!: string;
  @Field(() => DateTimeScalar) firstSeenAt!: Date;
}
