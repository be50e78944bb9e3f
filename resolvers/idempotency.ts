import type { IntentHook } from '../src/flows/record';
import type { Context } from './context';

/**
 * Runs a side-effecting mutation under its idempotency key: the `idempotencyKey`
 * argument, else the HTTP `Idempotency-Key` header. Without a key it just runs.
 */
export function idempotent<T extends { id: string; status?: string }>(
  ctx: Context,
  spec: { operation: string; input: unknown; kind: string; key?: string | null | undefined },
  /** Pass `onIntent` to the flow: it ties the key to the intent row before the upstream call. */
  fn: (onIntent?: IntentHook) => Promise<T>,
  load: (id: string) => Promise<T | null>,
): Promise<T> {
  return ctx.services.idempotency.run(
    { subject: ctx.user?.sub ?? 'anonymous', key: spec.key ?? ctx.request.idempotencyKey, operation: spec.operation, input: spec.input, kind: spec.kind },
    fn,
    load,
  );
}
