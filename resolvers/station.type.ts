import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from './node.type';
import { STATION_EVENT_TYPES } from '../src/flows/station';
import type { StationRow } from '../src/store/schema';
import { LOGIN_STATE_STATUSES, OPERATOR_LOGGED_IN_STATUSES, UNKNOWN_STATUS } from '../src/upstreams/spid/types';
import { CPFScalar, DateTimeScalar, SafeIntScalar } from './scalars';
import { enumOf } from './enum-of';

const LOGIN_ENUM_VALUES = [...LOGIN_STATE_STATUSES, UNKNOWN_STATUS] as const;
export const OperatorLoginStatus = enumOf(LOGIN_ENUM_VALUES);
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

export enum StationConnectivity {
  ONLINE = 'ONLINE',
  OFFLINE = 'OFFLINE',
  UNKNOWN = 'UNKNOWN',
}
registerEnumType(StationConnectivity, {
  name: 'StationConnectivity',
  description: "Whether the station answered its last Login Status poll (or the last login through this API).",
  valuesConfig: {
    ONLINE: { description: 'It answered.' },
    OFFLINE: { description: "No usable answer, after the client's own timeout and retries." },
    UNKNOWN: { description: 'Not checked yet (a station just configured, before its first poll completes).' },
  },
});

export const StationEventType = enumOf(STATION_EVENT_TYPES);
export type StationEventType = (typeof STATION_EVENT_TYPES)[number];
registerEnumType(StationEventType, {
  name: 'StationEventType',
  description: 'What changed at a station. One poll or capture change may record several, in this order: connectivity, operator, busy.',
  valuesConfig: {
    STATION_ONLINE: { description: 'The station answers (again).' },
    STATION_OFFLINE: { description: 'The station stopped answering Login Status. The operator fields keep their last known value.' },
    OPERATOR_LOGGED_IN: { description: 'An operator logged in (OPERATOR_OK or OPERATOR_OFFLINE_OK), or another operator replaced the previous one.' },
    OPERATOR_LOGGED_OUT: { description: 'Nobody is logged in any more (NOT_LOGGED_IN, or a refused login replaced the operator).' },
    LOGIN_STATUS_CHANGED: { description: 'Login Status changed without anyone logging in or out (e.g. NOT_LOGGED_IN → OPERATOR_NOT_FOUND).' },
    STATION_BUSY: { description: 'One of our captures took the reader (recorded in the same transaction as the capture step).' },
    STATION_FREE: { description: 'The capture released the reader.' },
  },
});

/**
 * A SPID Client capture station (one reader, one capture at a time). Its
 * state is what the gateway recorded (poll, logins, captures), never asked
 * of the station per request.
 */
@ObjectType({
  implements: Node,
  description:
    'A SPID Client capture station (one reader, one capture at a time). State as recorded by the gateway: its poller (Login Status every STATION_POLL_INTERVAL_MS), logins through this API and capture steps; reading it never calls the station.',
})
export class Station {
  /** The configured id (SPID_STATIONS) inside the gateway; clients get the global id, and the configured one as `code`. */
  @Field(() => ID, { description: 'Global id.' }) id!: string;
  @Field(() => String, { description: 'Display name from the gateway configuration (SPID_STATIONS).' }) name!: string;
  @Field(() => StationConnectivity, { description: 'Whether the station answered its last read (UNKNOWN before the first).' }) connectivity!: StationConnectivity;
  @Field(() => Boolean, { description: 'connectivity = ONLINE (false while UNKNOWN).' }) online!: boolean;
  @Field(() => OperatorLoginStatus, { nullable: true, description: 'Last Login Status read; null before the first.' }) loginStatus!: OperatorLoginStatus | null;
  @Field(() => String, { nullable: true, description: 'Login Status exactly as the station sent it (see loginStatus UNKNOWN).' }) loginStatusCode!: string | null;
  @Field(() => Boolean, { description: 'loginStatus is OPERATOR_OK or OPERATOR_OFFLINE_OK.' }) loggedIn!: boolean;
  @Field(() => CPFScalar, { nullable: true, description: 'The operator Login Status names (masked for viewers).' }) operatorCpf!: string | null;
  @Field(() => Boolean, { description: 'One of our captures holds the reader (see Capture.holdsStation).' }) busy!: boolean;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the station was last read (poll or login), changed or not; null before the first.' })
  lastCheckedAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When this state was recorded (the last station event).' }) lastChangedAt!: Date | null;
  @Field(() => SafeIntScalar, { description: 'Seq of the station event that recorded this state (0: none yet). A cache keeps the higher one.' }) version!: number;
  /** Internal: for `currentCapture`. */
  currentCaptureId!: string | null;

  static from(config: { id: string; name: string }, r: StationRow): Station {
    const connectivity = r.online === null ? StationConnectivity.UNKNOWN : r.online ? StationConnectivity.ONLINE : StationConnectivity.OFFLINE;
    return Object.assign(new Station(), {
      id: config.id,
      name: config.name,
      connectivity,
      online: connectivity === StationConnectivity.ONLINE,
      loginStatus: (r.loginStatus as OperatorLoginStatus | null) ?? null,
      loginStatusCode: r.loginStatusCode,
      loggedIn: r.loginStatus !== null && (OPERATOR_LOGGED_IN_STATUSES as readonly string[]).includes(r.loginStatus),
      operatorCpf: r.operatorCpf,
      busy: r.busy,
      lastCheckedAt: r.lastCheckedAt,
      lastChangedAt: r.lastChangedAt,
      version: r.version,
      currentCaptureId: r.currentCaptureId,
    });
  }
}

@ObjectType({ description: 'One recorded change of a station. Resubscribe with afterSeq = the highest seq seen to get every missed change once.' })
export class StationEvent {
  @Field(() => SafeIntScalar, { description: 'Position in the event log (shared by every kind of event).' }) seq!: number;
  @Field(() => DateTimeScalar, { description: 'When the gateway recorded the change.' }) at!: Date;
  @Field(() => StationEventType, { description: 'What changed.' }) type!: StationEventType;
  @Field(() => Station, { description: 'The station as it was right after this change (currentCapture: that capture as it is now).' }) station!: Station;
}
