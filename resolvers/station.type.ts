import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { LOGIN_STATE_STATUSES, UNKNOWN_STATUS } from '../src/upstreams/spid/types';
import { Capture, CaptureEdge } from './capture.type';
import { PageInfo } from './pagination';
import { CPFScalar } from './scalars';

const LOGIN_ENUM_VALUES = [...LOGIN_STATE_STATUSES, UNKNOWN_STATUS] as const;
export const OperatorLoginStatus = Object.fromEntries(LOGIN_ENUM_VALUES.map((s) => [s, s])) as { [K in (typeof LOGIN_ENUM_VALUES)[number]]: K };
export type OperatorLoginStatus = (typeof LOGIN_ENUM_VALUES)[number];
registerEnumType(OperatorLoginStatus, {
  name: 'OperatorLoginStatus',
  description: 'SPID Login / Login Status (vendor manual). Every value is a settled answer; only OPERATOR_OK and OPERATOR_OFFLINE_OK let the operator capture.',
  valuesConfig: {
    OPERATOR_OK: { description: 'Logged in.' },
    OPERATOR_OFFLINE_OK: { description: 'Logged in from the station\'s local base: the SPID server was unreachable.' },
    OPERATOR_NOT_FOUND: { description: 'No such operator on the SPID server.' },
    OPERATOR_PENDING: {
      description: 'The operator was added by an administrator but has not provided biometrics yet: enrol the operator first. Not "login still running".',
    },
    OPERATOR_IN_PROGRESS: {
      description: "The SPID server is still processing the operator's own enrolment: try again later. Not \"login still running\".",
    },
    OPERATOR_FAILED: { description: 'The login failed.' },
    ERROR: { description: 'The station reported an error.' },
    NOT_LOGGED_IN: { description: 'Login Status only: nobody has logged in since the station started.' },
    UNKNOWN: { description: 'A status this gateway does not know; the raw value is in statusCode / loginStatusCode.' },
  },
});

/** A SPID Client capture station (one reader, one capture at a time); live fields are resolved on demand. */
@ObjectType({ description: 'A SPID Client capture station (one reader, one capture at a time).' })
export class Station {
  @Field(() => String) id!: string;
  @Field(() => String, { description: 'Display name from the gateway configuration (SPID_STATIONS).' }) name!: string;
}

@ObjectType({ description: "A station's answer to an operator login." })
export class OperatorLoginResult {
  @Field(() => String, { description: 'The station asked.' }) stationId!: string;
  @Field(() => OperatorLoginStatus, { description: "The login's answer; after a successful login, the Login Status that confirmed it." })
  status!: OperatorLoginStatus;
  @Field(() => String, { description: 'The status exactly as the station sent it (differs from status only when that is UNKNOWN).' })
  statusCode!: string;
  @Field(() => Boolean, { description: 'OPERATOR_OK or OPERATOR_OFFLINE_OK.' }) loggedIn!: boolean;
  @Field(() => CPFScalar, { nullable: true, description: 'The operator Login Status reports as logged in; null unless the login succeeded.' })
  operatorCpf!: string | null;
}

@ObjectType({ description: 'What Capture Resend All did on one station.' })
export class ResendResult {
  @Field(() => String, { description: 'The station asked.' }) stationId!: string;
  @Field(() => [Capture], { description: 'Captures whose send went through now; they are back to result polling.' }) resent!: Capture[];
  @Field(() => [String], { description: 'TGUIDs still pending on the station (tried again at the next resend).' }) failed!: string[];
}

@ObjectType()
export class CaptureConnection {
  @Field(() => [CaptureEdge]) edges!: CaptureEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}
