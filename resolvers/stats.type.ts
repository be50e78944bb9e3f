import { Field, ObjectType } from 'type-graphql';
import { CaptureStatus } from './capture.type';
import { DateTimeScalar, SafeIntScalar } from './scalars';
import { TransactionStatus } from './transaction.type';

@ObjectType()
export class TransactionStatusCount {
  @Field(() => TransactionStatus) status!: TransactionStatus;
  @Field(() => SafeIntScalar) count!: number;
}

@ObjectType({ description: 'Transactions created in the window, by their current status.' })
export class TransactionStats {
  @Field(() => SafeIntScalar) total!: number;
  @Field(() => [TransactionStatusCount], { description: 'Statuses with at least one transaction, by status name.' }) byStatus!: TransactionStatusCount[];
}

@ObjectType()
export class CaptureStatusCount {
  @Field(() => CaptureStatus) status!: CaptureStatus;
  @Field(() => SafeIntScalar) count!: number;
}

@ObjectType({ description: "One station's captures created in the window, by their current status." })
export class StationCaptureStats {
  @Field(() => String) stationId!: string;
  @Field(() => SafeIntScalar) total!: number;
  @Field(() => [CaptureStatusCount]) byStatus!: CaptureStatusCount[];
}

@ObjectType({ description: 'Captures created in the window, by their current status, overall and per station.' })
export class CaptureStats {
  @Field(() => SafeIntScalar) total!: number;
  @Field(() => [CaptureStatusCount], { description: 'Statuses with at least one capture, by status name.' }) byStatus!: CaptureStatusCount[];
  @Field(() => [StationCaptureStats], { description: 'Stations with at least one capture, by station id.' }) byStation!: StationCaptureStats[];
}

@ObjectType({
  description:
    'Counts of the transactions and captures created in [since, until), each under its current status. Exact for any window, and cheap whatever the table size (whole hours, days and months come from counts the store keeps per bucket; only the sub-hour edges are counted from the rows).',
})
export class Stats {
  @Field(() => DateTimeScalar, { description: 'Start of the window (inclusive).' }) since!: Date;
  @Field(() => DateTimeScalar, { description: 'End of the window (exclusive).' }) until!: Date;
  @Field(() => TransactionStats) transactions!: TransactionStats;
  @Field(() => CaptureStats) captures!: CaptureStats;
}
