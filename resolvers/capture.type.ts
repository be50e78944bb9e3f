import { Field, ID, Int, ObjectType, UseMiddleware, registerEnumType } from 'type-graphql';
import { Node } from './node.type';
import { CAPTURE_STATUSES, holdsStation, isFinalCapture } from '../src/flows/capture';
import type { CaptureRow } from '../src/store/schema';
import { CPFScalar, DateTimeScalar, SafeIntScalar } from './scalars';
import { CapabilityLink } from './station-scope';
import { enumOf } from './enum-of';

export const CaptureStatus = enumOf(CAPTURE_STATUSES);
export type CaptureStatus = (typeof CAPTURE_STATUSES)[number];
registerEnumType(CaptureStatus, {
  name: 'CaptureStatus',
  description:
    'Where a capture is. Station steps: STARTING, CLIENT_CAPTURING, CLIENT_CAPTURE_DONE, OPERATOR_CAPTURING, OPERATOR_CAPTURE_DONE, SENDING. Waiting: CAPTURE_PENDING (send kept on the station for a resend), PROCESSING, WAITING_CLIENT (remote link handed out). Ends: SEARCH_MATCH, SEARCH_NOT_MATCH, ENROLLED, ENROLL_REJECTED, EXPIRED, PERSON_NOT_FOUND (only when started with enrollIfNotFound off; with it on, the same capture goes on to enroll: CLIENT_CAPTURING, kind ENROLL), CAPTURE_CANCELED, CAPTURE_FAILED (at the desk), SEND_UNCONFIRMED (the send answer was lost), FAILED (could not start, the station stayed idle past its timeout after the start, or it was reset under the capture). STARTING outlives a start whose station call failed without proof it never arrived: the gateway follows the station and never repeats the call.',
  valuesConfig: {
    STARTING: {
      description: 'Recorded by the gateway; the start call to the station is in flight, or its answer was lost (the gateway then follows the station, never calling again).',
    },
    PERSON_NOT_FOUND: { description: 'Verify: the SPID server has no record of the CPF. Final, unless enrollIfNotFound: then the enroll starts on the same reader.' },
    CLIENT_CAPTURING: { description: "The station is capturing the citizen's fingerprints." },
    CLIENT_CAPTURE_DONE: { description: "Citizen captured; the operator's capture comes next (automatic, or startOperatorCapture when autoAdvance is false)." },
    OPERATOR_CAPTURING: { description: "The station is capturing the operator's fingerprints, which authenticates the operator." },
    OPERATOR_CAPTURE_DONE: {
      description: 'Operator captured; the send comes next (automatic, or sendCapture when autoAdvance is false). Remote: the link is requested next.',
    },
    SENDING: { description: 'The gateway is sending the capture through the station to the SPID server (remote: asking for the link).' },
    CAPTURE_PENDING: {
      description: 'The station could not reach the SPID server and keeps the capture; resendPendingCaptures (or the daily job) sends it again.',
    },
    PROCESSING: { description: 'Sent; the SPID server is matching or enrolling (an enroll can take long). The gateway polls for the result.' },
    WAITING_CLIENT: { description: 'Remote: the link (remoteUrl) is out; waiting for the citizen to use it.' },
    SEARCH_MATCH: { description: "Verify: the citizen's fingerprints match the CPF's record. Final." },
    SEARCH_NOT_MATCH: { description: "Verify: the fingerprints do not match the CPF's record. Final; an enroll may follow." },
    ENROLLED: { description: 'Enroll: the SPID server registered the fingerprints for the CPF. Final.' },
    ENROLL_REJECTED: { description: 'Enroll: the SPID server refused the enrolment. Final.' },
    EXPIRED: { description: 'Remote: the citizen never used the link. Final.' },
    CAPTURE_CANCELED: { description: 'Cancelled at the desk. Final.' },
    CAPTURE_FAILED: { description: 'The station gave up at the desk (capture quality still bad after its retries). Final.' },
    SEND_UNCONFIRMED: {
      description: 'The station took the send but its answer (with the TGUID) was lost, so the result cannot be looked up. Final; a person must check at the station.',
    },
    FAILED: {
      description: 'Could not start, the station stayed idle past its timeout after the start, or it was reset under the capture (see detail). Final.',
    },
  },
});

export enum CaptureMode {
  PRESENTIAL = 'PRESENTIAL',
  REMOTE = 'REMOTE',
}
registerEnumType(CaptureMode, {
  name: 'CaptureMode',
  description: 'Where the citizen is captured.',
  valuesConfig: {
    PRESENTIAL: { description: 'At the desk: the station captures the citizen, then the operator.' },
    REMOTE: { description: "On the citizen's phone, through a link (remoteUrl) given after the operator's capture at the desk." },
  },
});

export enum CaptureKind {
  VERIFY = 'VERIFY',
  ENROLL = 'ENROLL',
}
registerEnumType(CaptureKind, {
  name: 'CaptureKind',
  description: 'What the SPID server is asked to do with the fingerprints.',
  valuesConfig: {
    VERIFY: { description: "Match them against the CPF's record." },
    ENROLL: { description: 'Register them for the CPF.' },
  },
});

export enum CaptureEventType {
  STATUS_CHANGED = 'STATUS_CHANGED',
  REPORT_READY = 'REPORT_READY',
  REPORT_UNAVAILABLE = 'REPORT_UNAVAILABLE',
}
registerEnumType(CaptureEventType, {
  name: 'CaptureEventType',
  description: 'What a CaptureEvent recorded.',
  valuesConfig: {
    STATUS_CHANGED: { description: 'A step: the status, result, send outcome or detail changed.' },
    REPORT_READY: { description: 'The station report (PDF) was stored; Capture.report is set.' },
    REPORT_UNAVAILABLE: { description: 'The station has no report for this capture; Capture.report stays null and is not asked for again.' },
  },
});

@ObjectType({ description: 'The station report (PDF) of a final capture, kept by the gateway.' })
export class CaptureReport {
  @Field(() => Int, { description: 'Size of the PDF in bytes.' }) size!: number;
  @Field(() => DateTimeScalar, { description: 'When the gateway fetched it from the station.' }) fetchedAt!: Date;
  @Field(() => String, {
    nullable: true,
    description:
      "An absolute link to the PDF, signed for you and this capture, usable without headers (`<a href>`) until it expires (REPORT_LINK_TTL_SECONDS, 5 minutes by default); read the field again for a fresh one. Null unless you may download it: admins and operators allowed on the capture's station. Every download is audited.",
  })
  downloadUrl!: string | null;
}

const SEND_OUTCOMES = ['VERIFIED', 'CAPTURE_ENQUEUED', 'CAPTURE_PENDING', 'RESENT', 'UNKNOWN'] as const;
export type SendOutcome = (typeof SEND_OUTCOMES)[number];
export const SendOutcome = enumOf(SEND_OUTCOMES);
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

@ObjectType({ implements: Node, description: 'A biometric capture at a SPID station: presential (at the desk) or remote (a link to the citizen).' })
export class Capture {
  /** The raw UUID inside the gateway; the field resolver gives clients the global id. */
  @Field(() => ID, { description: 'Global id.' }) id!: string;
  /** The station's configured id inside the gateway (CapabilityLink, filters); the field resolver gives its global id. */
  @Field(() => ID, { description: 'Global id of the station (also `station { id code }`).' }) stationId!: string;
  @Field(() => CPFScalar, { description: 'The citizen captured (see the CPF scalar for masking and pseudonyms).' }) cpf!: string;
  @Field(() => CaptureMode, { description: 'At the desk or through a link.' }) mode!: CaptureMode;
  @Field(() => CaptureKind, { description: 'Verify or enroll; a presential verify becomes ENROLL after PERSON_NOT_FOUND when enrollIfNotFound.' })
  kind!: CaptureKind;
  @Field(() => CaptureStatus, { description: 'Where the capture is now.' }) status!: CaptureStatus;
  @Field(() => Boolean, { description: 'False: the flow stops after each step (startOperatorCapture, sendCapture).' }) autoAdvance!: boolean;
  @Field(() => Boolean, {
    description:
      'The status will not change any more: SEARCH_MATCH, SEARCH_NOT_MATCH, ENROLLED, ENROLL_REJECTED, EXPIRED, CAPTURE_CANCELED, CAPTURE_FAILED, SEND_UNCONFIRMED, FAILED, and PERSON_NOT_FOUND when enrollIfNotFound is off. The report may still arrive after (REPORT_READY).',
  })
  isFinal!: boolean;
  @Field(() => Boolean, {
    description:
      "The capture holds its station's one reader (the station is busy): STARTING, CLIENT_CAPTURING, CLIENT_CAPTURE_DONE, OPERATOR_CAPTURING, OPERATOR_CAPTURE_DONE, SENDING, and PERSON_NOT_FOUND on the way to an enroll.",
  })
  holdsStation!: boolean;
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
  @Field(() => String, {
    nullable: true,
    description: "A short English note on the last step (e.g. 'cancelled at the desk'), for people, not for logic; null when there is nothing to add.",
  })
  detail!: string | null;
  @Field(() => DateTimeScalar, { description: 'When the gateway recorded the start, before calling the station.' }) createdAt!: Date;
  @Field(() => DateTimeScalar, { description: 'When the gateway last recorded a change to it.' }) updatedAt!: Date;
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
      isFinal: isFinalCapture(r),
      holdsStation: holdsStation(r),
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
  @Field(() => SafeIntScalar, { description: 'Position in the event log; increases with every change (pass the highest as afterSeq).' }) seq!: number;
  @Field(() => CaptureEventType, { description: 'What this step recorded.' }) type!: CaptureEventType;
  @Field(() => CaptureStatus, { description: 'The status right after this step (capture.status).' }) status!: CaptureStatus;
  @Field(() => String, { nullable: true, description: 'The note of this step (capture.detail); null when there is none.' }) detail!: string | null;
  @Field(() => DateTimeScalar, { description: 'When the gateway recorded this step.' }) at!: Date;
  @Field(() => Capture, { description: 'The capture as it was right after this step.' }) capture!: Capture;
}
