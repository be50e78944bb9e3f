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
}
