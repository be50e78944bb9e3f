import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { LOGIN_STATE_STATUSES, UNKNOWN_STATUS } from '../src/upstreams/spid/types';
import { CaptureEdge } from './capture.type';
import { PageInfo } from './pagination';

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
  @Field(() => String) name!: string;
}

@ObjectType()
export class CaptureConnection {
  @Field(() => [CaptureEdge]) edges!: CaptureEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}
