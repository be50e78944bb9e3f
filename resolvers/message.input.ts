import { IsOptional, Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { CPFScalar } from './scalars';

@InputType({ description: "A message to push to the gov.br app: to one citizen, or to everyone when cpf is omitted." })
export class SendMessageInput {
  @Field(() => CPFScalar, { nullable: true, description: 'The citizen; omit to broadcast to everyone (admin only).' })
  @IsOptional()
  cpf?: string | null;

  @Field(() => String, { description: 'The title shown in the app, 1 to 200 characters.' })
  @Length(1, 200)
  title!: string;

  @Field(() => String, { description: 'The text shown in the app, 1 to 4000 characters.' })
  @Length(1, 4000)
  content!: string;

  @Field(() => String, { nullable: true, description: 'Retry-safe key (or the Idempotency-Key header): the citizen is not notified twice.' })
  @IsOptional()
  idempotencyKey?: string | null;
}
