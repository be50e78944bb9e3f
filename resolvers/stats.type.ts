import { Field, ObjectType } from 'type-graphql';
import { CaptureStatus } from './capture.type';
import { DateTimeScalar, SafeIntScalar } from './scalars';
import { TransactionStatus } from './transaction.type';

@ObjectType({ description: 'How many transactions of the window are in one status now.' })
export class TransactionStatusCount {
  @Field(() => TransactionStatus, { description: 'The current status counted.' }) status!: TransactionStatus;
  @Field(() => SafeIntScalar, { description: 'Transactions created in the window that are in this status now.' }) count!: number;
}

@ObjectType({ description: 'Transactions created in the window, by their current status.' })
export class TransactionStats {
  @Field(() => SafeIntScalar, { description: 'Transactions created in the window.' }) total!: number;
  @Field(() => [TransactionStatusCount], { description: 'Statuses with at least one transaction, by status name.' }) byStatus!: TransactionStatusCount[];
}

@ObjectType({ description: 'How many captures of the window are in one status now.' })
export class CaptureStatusCount {
  @Field(() => CaptureStatus, { description: 'The current status counted.' }) status!: CaptureStatus;
  @Field(() => SafeIntScalar, { description: 'Captures created in the window that are in this status now.' }) count!: number;
}

@ObjectType({ description: "One station's captures created in the window, by their current status." })
export class StationCaptureStats {
  @Field(() => String, { description: 'The configured station id (Station.code), e.g. station-1.' }) stationId!: string;
  @Field(() => SafeIntScalar, { description: "The station's captures created in the window." }) total!: number;
  @Field(() => [CaptureStatusCount], { description: 'Statuses with at least one capture, by status name.' }) byStatus!: CaptureStatusCount[];
}

@ObjectType({ description: 'Captures created in the window, by their current status, overall and per station.' })
export class CaptureStats {
  @Field(() => SafeIntScalar, { description: 'Captures created in the window.' }) total!: number;
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
  @Field(() => TransactionStats, { description: 'Proof-of-life transactions (they have no station: zero when stationId is given).' }) transactions!: TransactionStats;
  @Field(() => CaptureStats, { description: 'SPID captures.' }) captures!: CaptureStats;
}
