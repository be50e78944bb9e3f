import { IsOptional, Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { CPFScalar } from './scalars';

@InputType()
export class SendMessageInput {
  @Field(() => CPFScalar, { nullable: true, description: 'The citizen; omit to broadcast to everyone (admin only).' })
  @IsOptional()
  cpf?: string | null;

  @Field(() => String)
  @Length(1, 200)
  title!: string;

  @Field(() => String)
  @Length(1, 4000)
  content!: string;

  @Field(() => String, { nullable: true, description: 'Retry-safe key (or the Idempotency-Key header): the citizen is not notified twice.' })
  @IsOptional()
  idempotencyKey?: string | null;
}
