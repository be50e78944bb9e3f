import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { LOGIN_STATE_STATUSES } from '../src/upstreams/spid/types';
import { Capture, CaptureEdge } from './capture.type';
import { PageInfo } from './pagination';
import { CPFScalar } from './scalars';

export const OperatorLoginStatus = Object.fromEntries(LOGIN_STATE_STATUSES.map((s) => [s, s])) as { [K in (typeof LOGIN_STATE_STATUSES)[number]]: K };
export type OperatorLoginStatus = (typeof LOGIN_STATE_STATUSES)[number];
registerEnumType(OperatorLoginStatus, {
  name: 'OperatorLoginStatus',
  description: 'SPID Login / Login Status. OPERATOR_OFFLINE_OK: the station could not reach its server and logged the operator in from its local base.',
});

/** A SPID Client capture station (one reader, one capture at a time); live fields are resolved on demand. */
@ObjectType({ description: 'A SPID Client capture station (one reader, one capture at a time).' })
export class Station {
  @Field(() => String) id!: string;
  @Field(() => String) name!: string;
}

@ObjectType()
export class OperatorLoginResult {
  @Field(() => String) stationId!: string;
  @Field(() => OperatorLoginStatus) status!: OperatorLoginStatus;
  @Field(() => Boolean, { description: 'OPERATOR_OK or OPERATOR_OFFLINE_OK.' }) loggedIn!: boolean;
  @Field(() => CPFScalar, { nullable: true }) operatorCpf!: string | null;
}

@ObjectType()
export class ResendResult {
  @Field(() => String) stationId!: string;
  @Field(() => [Capture], { description: 'Captures whose send went through now; they are back to result polling.' }) resent!: Capture[];
  @Field(() => [String], { description: 'TGUIDs still pending on the station (tried again at the next resend).' }) failed!: string[];
}

@ObjectType()
export class CaptureConnection {
  @Field(() => [CaptureEdge]) edges!: CaptureEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}
