import { IsOptional, Length, Max, Min } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';
import { ProofOfLifeCategory, ProofOfLifeKind } from './transaction.type';
import { CPFScalar } from './scalars';

@InputType({ description: 'A proof-of-life request. Giving `sealReuseWindowMinutes` selects the transaction with the facial-biometry seal.' })
export class RequestProofOfLifeInput {
  @Field(() => CPFScalar, { description: 'The citizen to ask; their gov.br app gets the notification.' }) cpf!: string;

  @Field(() => String, { description: 'Shown to the citizen, e.g. "Obter benefício previdenciário".' })
  @Length(1, 500)
  reason!: string;

  @Field(() => ProofOfLifeKind, { defaultValue: ProofOfLifeKind.FACIAL_BIOMETRY, description: 'How the citizen answers (`tipo`).' })
  kind!: ProofOfLifeKind;

  @Field(() => Int, { defaultValue: 120, description: 'Minutes until the request expires (1 to 43200, 30 days).' })
  @Min(1)
  @Max(43_200)
  expiresInMinutes!: number;

  @Field(() => Int, {
    nullable: true,
    description: 'A facial validation by the citizen within this many minutes before the request authorises it at once (seal). Omit for a simple transaction.',
  })
  @IsOptional()
  @Min(0)
  @Max(5_256_000)
  sealReuseWindowMinutes?: number | null;

  @Field(() => ProofOfLifeCategory, { nullable: true, description: 'Sent only with API version vbeta4. Default PROOF_OF_LIFE.' })
  category?: ProofOfLifeCategory | null;

  @Field(() => String, { nullable: true, description: 'Shown to the citizen when the proof of life fails.' })
  @IsOptional()
  @Length(1, 500)
  failureMessage?: string;

  @Field(() => String, { nullable: true, description: 'Shown to the citizen when it succeeds.' })
  @IsOptional()
  @Length(1, 500)
  successMessage?: string;

  @Field(() => String, {
    nullable: true,
    description: 'Retry-safe key (or the Idempotency-Key header): a retry returns the first result and the citizen is not notified twice.',
  })
  @IsOptional()
  idempotencyKey?: string | null;
}
