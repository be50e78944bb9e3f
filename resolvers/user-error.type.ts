import { GraphQLError } from 'graphql';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

/**
 * Expected business outcomes of a mutation: answered inside its payload
 * (`userErrors`), typed in the schema, so one refused alias does not null the
 * others and codegen can type them. Everything else (authentication,
 * authorization, limits, infrastructure, the unexpected) stays a top-level
 * error.
 */
export const UserErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  STATION_BUSY: 'STATION_BUSY',
  WRONG_STATE: 'WRONG_STATE',
  NO_OPERATOR: 'NO_OPERATOR',
  UNKNOWN_STATION: 'UNKNOWN_STATION',
  INVALID_IDEMPOTENCY_KEY: 'INVALID_IDEMPOTENCY_KEY',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  IDEMPOTENCY_IN_PROGRESS: 'IDEMPOTENCY_IN_PROGRESS',
  PERSON_HAS_OPEN_FLOWS: 'PERSON_HAS_OPEN_FLOWS',
  UPSTREAM_CONFLICT: 'UPSTREAM_CONFLICT',
} as const;
export type UserErrorCode = (typeof UserErrorCode)[keyof typeof UserErrorCode];

registerEnumType(UserErrorCode, {
  name: 'UserErrorCode',
  description: 'Why a mutation did not take effect, when that is an expected outcome the caller can act on.',
  valuesConfig: {
    BAD_USER_INPUT: { description: 'An argument is invalid (our checks or the upstream\'s); `field` names it.' },
    NOT_FOUND: { description: 'The entity the arguments name does not exist (here or upstream).' },
    STATION_BUSY: { description: 'The station is holding another capture; wait for it to end.' },
    WRONG_STATE: { description: 'The entity is not in a state that allows this step.' },
    NO_OPERATOR: { description: 'No operator is logged in on the station: call loginOperator first.' },
    UNKNOWN_STATION: { description: 'No station with this id is configured.' },
    INVALID_IDEMPOTENCY_KEY: { description: 'The idempotency key is not 8 to 200 characters of A-Z a-z 0-9 . _ : -.' },
    IDEMPOTENCY_KEY_REUSED: { description: 'This idempotency key was used with a different request.' },
    IDEMPOTENCY_IN_PROGRESS: { description: 'The first request with this idempotency key is still running; retry shortly.' },
    PERSON_HAS_OPEN_FLOWS: { description: 'The person has a proof of life or capture still open; erase once they end.' },
    UPSTREAM_CONFLICT: { description: 'The upstream refused the step in its current state for another reason (e.g. cancelling on an API version without cancel, an already answered transaction).' },
  },
});

const USER_CODES = new Set<string>(Object.values(UserErrorCode));

@ObjectType({ description: 'An expected reason why a mutation did not take effect. The payload\'s entity is then null.' })
export class UserError {
  @Field(() => UserErrorCode, { description: 'What went wrong, for programs.' })
  code!: UserErrorCode;

  @Field(() => [String], { nullable: true, description: 'Path into the mutation\'s arguments (e.g. ["input", "cpf"]); null when no single argument is at fault.' })
  field!: string[] | null;

  @Field(() => String, { description: 'What went wrong, for people (English; not for parsing).' })
  message!: string;
}

/** Arguments whose name is the one that names the entity a code is about. */
const ENTITY_ARGS = ['id', 'captureId', 'stationId'];

function path(p: string, args: Record<string, unknown>): string[] {
  const parts = p.split('.');
  // `fields` keys of an input object are relative to it (`cpf`); the path starts at the argument (`input.cpf`).
  if (parts[0] !== undefined && !(parts[0] in args) && 'input' in args) return ['input', ...parts];
  return parts;
}

/**
 * The userErrors for an error a mutation raised, or null when it must stay a
 * top-level error. Takes the already mapped GraphQLError (see toGraphQLError).
 */
export function userErrorsOf(err: unknown, args: Record<string, unknown>): UserError[] | null {
  if (!(err instanceof GraphQLError)) return null;
  const ext = err.extensions;
  let code = ext['code'];
  // The upstream named a reason we already have a code for (a busy station, no operator): use it.
  if (code === 'UPSTREAM_CONFLICT' && typeof ext['reason'] === 'string' && USER_CODES.has(ext['reason'])) code = ext['reason'];
  if (typeof code !== 'string' || !USER_CODES.has(code)) return null;
  const ue = (c: string, field: string[] | null, message: string): UserError => Object.assign(new UserError(), { code: c as UserErrorCode, field, message });
  const fields = ext['fields'];
  if (code === 'BAD_USER_INPUT' && fields && typeof fields === 'object' && Object.keys(fields).length > 0) {
    return Object.entries(fields as Record<string, unknown>).map(([p, m]) => ue(code, path(p, args), typeof m === 'string' ? m : err.message));
  }
  let field: string[] | null = null;
  if (typeof ext['field'] === 'string') field = path(ext['field'], args);
  else if (code === 'NOT_FOUND' || code === 'UNKNOWN_STATION' || code === 'WRONG_STATE') {
    const arg = ENTITY_ARGS.find((a) => typeof args[a] === 'string');
    if (arg) field = [arg];
  }
  return [ue(code, field, err.message)];
}
