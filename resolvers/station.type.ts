import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from './node.type';
import { LOGIN_STATE_STATUSES, UNKNOWN_STATUS } from '../src/upstreams/spid/types';
import { Capture } from './capture.type';
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
@ObjectType({ implements: Node, description: 'A SPID Client capture station (one reader, one capture at a time).' })
export class Station {
  /** The configured id (SPID_STATIONS) inside the gateway; clients get the global id, and the configured one as `code`. */
  @Field(() => ID, { description: 'Global id.' }) id!: string;
  @Field(() => String) name!: string;
}

@ObjectType()
export class OperatorLoginResult {
  @Field(() => String) stationId!: string;
  @Field(() => OperatorLoginStatus) status!: OperatorLoginStatus;
  @Field(() => String, { description: 'The status exactly as the station sent it (differs from status only when that is UNKNOWN).' })
  statusCode!: string;
  @Field(() => Boolean, { description: 'OPERATOR_OK or OPERATOR_OFFLINE_OK.' }) loggedIn!: boolean;
  @Field(() => CPFScalar, { nullable: true }) operatorCpf!: string | null;
}

@ObjectType()
export class ResendResult {
  @Field(() => String) stationId!: string;
  @Field(() => [Capture], { description: 'Captures whose send went through now; they are back to result polling.' }) resent!: Capture[];
  @Field(() => [String], { description: 'TGUIDs still pending on the station (tried again at the next resend).' }) failed!: string[];
}
