import { Field, Int, ObjectType, UseMiddleware, registerEnumType } from 'type-graphql';
import { CAPTURE_STATUSES } from '../src/flows/capture';
import type { CaptureRow } from '../src/store/schema';
import { CPFScalar, DateTimeScalar, SafeIntScalar, UUIDScalar } from './scalars';
import { CapabilityLink } from './station-scope';

export const CaptureStatus = Object.fromEntries(CAPTURE_STATUSES.map((s) => [s, s])) as { [K in (typeof CAPTURE_STATUSES)[number]]: K };
export type CaptureStatus = (typeof CAPTURE_STATUSES)[number];
registerEnumType(CaptureStatus, {
  name: 'CaptureStatus',
  description:
    'Where a capture is. Station steps: STARTING, CLIENT_CAPTURING, CLIENT_CAPTURE_DONE, OPERATOR_CAPTURING, OPERATOR_CAPTURE_DONE, SENDING. Waiting: CAPTURE_PENDING (send kept on the station for a resend), PROCESSING, WAITING_CLIENT (remote link handed out). Ends: SEARCH_MATCH, SEARCH_NOT_MATCH, ENROLLED, ENROLL_REJECTED, EXPIRED, PERSON_NOT_FOUND, CAPTURE_CANCELED, CAPTURE_FAILED (at the desk), SEND_UNCONFIRMED (the send answer was lost), FAILED (could not start, the station stayed idle past its timeout after the start, or it was reset under the capture). STARTING outlives a start whose station call failed without proof it never arrived: the gateway follows the station and never repeats the call.',
});

export enum CaptureMode {
  PRESENTIAL = 'PRESENTIAL',
  REMOTE = 'REMOTE',
}
registerEnumType(CaptureMode, { name: 'CaptureMode' });

export enum CaptureKind {
  VERIFY = 'VERIFY',
  ENROLL = 'ENROLL',
}
registerEnumType(CaptureKind, { name: 'CaptureKind' });

export enum CaptureEventType {
  STATUS_CHANGED = 'STATUS_CHANGED',
  REPORT_READY = 'REPORT_READY',
  REPORT_UNAVAILABLE = 'REPORT_UNAVAILABLE',
}
registerEnumType(CaptureEventType, { name: 'CaptureEventType' });

@ObjectType({ description: 'The station report (PDF) of a final capture, kept by the gateway.' })
export class CaptureReport {
  @Field(() => Int) size!: number;
  @Field(() => DateTimeScalar) fetchedAt!: Date;
  @Field(() => String, { description: "GET it with the same bearer token as GraphQL: operators allowed on the capture's station, and admins (every download is audited)." }) downloadUrl!: string;
}

const SEND_OUTCOMES = ['VERIFIED', 'CAPTURE_ENQUEUED', 'CAPTURE_PENDING', 'RESENT', 'UNKNOWN'] as const;
export type SendOutcome = (typeof SEND_OUTCOMES)[number];
export const SendOutcome = Object.fromEntries(SEND_OUTCOMES.map((v) => [v, v])) as { [K in SendOutcome]: K };
registerEnumType(SendOutcome, {
  name: 'SendOutcome',
  description: 'What the station answered to Send (the result is polled in every case).',
  valuesConfig: {
    VERIFIED: { description: 'Sent and verified at once.' },
    CAPTURE_ENQUEUED: { description: 'Queued on the SPID server.' },
    CAPTURE_PENDING: { description: 'The station could not reach its server: pending until resendPendingCaptures.' },
    RESENT: { description: 'A pending capture sent again by resendPendingCaptures.' },
    UNKNOWN: { description: 'A word this gateway does not know.' },
  },
});

@ObjectType({ description: 'A biometric capture at a SPID station: presential (at the desk) or remote (a link to the citizen).' })
export class Capture {
  @Field(() => UUIDScalar) id!: string;
  @Field(() => String) stationId!: string;
  @Field(() => CPFScalar) cpf!: string;
  @Field(() => CaptureMode) mode!: CaptureMode;
  @Field(() => CaptureKind) kind!: CaptureKind;
  @Field(() => CaptureStatus) status!: CaptureStatus;
  @Field(() => Boolean, { description: 'False: the flow stops after each step (startOperatorCapture, sendCapture).' }) autoAdvance!: boolean;
  @Field(() => String, { nullable: true, description: 'The station transaction id.' }) tguid!: string | null;
  @Field(() => CaptureStatus, { nullable: true, description: 'The final answer, once there is one.' }) result!: CaptureStatus | null;
  @Field(() => SendOutcome, { nullable: true, description: 'How the send went; null before a send.' }) sendOutcome!: SendOutcome | null;
  @Field(() => String, {
    nullable: true,
    description:
      "Remote capture: the URL to hand to the citizen's app. A capability link (its holder can submit the capture): null unless you are an admin or an operator allowed on this capture's station.",
  })
  @UseMiddleware(CapabilityLink)
  remoteUrl!: string | null;
  @Field(() => String, { nullable: true }) detail!: string | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
  @Field(() => SafeIntScalar, {
    description: 'Seq of the event that recorded this state. A cache keeps the higher version; a replayed older event must not overwrite a newer snapshot.',
  })
  version!: number;
  /** Internal: for the report field. */
  reportSize!: number | null;
  reportFetchedAt!: Date | null;

  static from(r: CaptureRow): Capture {
    return Object.assign(new Capture(), {
      id: r.id,
      stationId: r.stationId,
      cpf: r.cpf,
      mode: r.mode as CaptureMode,
      kind: r.kind as CaptureKind,
      status: r.status as CaptureStatus,
      autoAdvance: r.autoAdvance,
      tguid: r.tguid,
      result: (r.result as CaptureStatus | null) ?? null,
      sendOutcome: r.sendOutcome == null ? null : ((SEND_OUTCOMES as readonly string[]).includes(r.sendOutcome) ? (r.sendOutcome as SendOutcome) : 'UNKNOWN'),
      remoteUrl: r.remoteUrl,
      detail: r.detail,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      version: r.version,
      reportSize: r.reportSize,
      reportFetchedAt: r.reportFetchedAt,
    });
  }
}

@ObjectType({ description: 'One recorded step of a capture. Resubscribe with afterSeq = the highest seq seen to get every missed step once.' })
export class CaptureEvent {
  @Field(() => SafeIntScalar) seq!: number;
  @Field(() => CaptureEventType) type!: CaptureEventType;
  @Field(() => CaptureStatus) status!: CaptureStatus;
  @Field(() => String, { nullable: true }) detail!: string | null;
  @Field(() => DateTimeScalar) at!: Date;
  @Field(() => Capture, { description: 'The capture as it was right after this step.' }) capture!: Capture;
}

@ObjectType()
export class CaptureEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Capture) node!: Capture;
}
