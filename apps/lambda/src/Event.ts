/**
 * What invokes the handler, validated with zod:
 * - an EventBridge Scheduler / EventBridge rule scheduled event (`"detail-type": "Scheduled Event"`); its
 *   optional `detail` carries the same options as a direct invocation;
 * - a direct invocation `{ dryRun?, pipeline?, allowDeletes? }` (`aws lambda invoke`, Step Functions);
 * - an empty payload (`{}` or null): the default pipeline, applied.
 * Unknown keys are refused: a typo such as `{"dryrun": true}` must not turn into a real apply.
 */
import { z } from "zod"

export const InvocationOptions = z.strictObject({
  dryRun: z.boolean().optional().meta({ description: "Plan only: read, diff and report, send nothing to Okta." }),
  pipeline: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a pipeline name: letters, digits, '.', '_' and '-' (the file pipelines/<name>.yaml)")
    .optional(),
  allowDeletes: z.boolean().optional().meta({ description: "Let a tripped deactivation safeguard through for this run." })
})
export type InvocationOptions = z.infer<typeof InvocationOptions>

export const ScheduledEvent = z.looseObject({
  "detail-type": z.literal("Scheduled Event"),
  source: z.string(),
  time: z.string().optional(),
  detail: InvocationOptions.optional()
})

export interface ParsedEvent {
  readonly kind: "scheduled" | "direct"
  readonly options: InvocationOptions
}

export type EventParse = { readonly ok: true; readonly event: ParsedEvent } | { readonly ok: false; readonly message: string }

const describe = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(event)"}: ${i.message}`).join("; ")

export const parse = (input: unknown): EventParse => {
  if (input === null || input === undefined) return { ok: true, event: { kind: "direct", options: {} } }
  if (typeof input === "object" && !Array.isArray(input) && (input as Record<string, unknown>)["detail-type"] !== undefined) {
    const scheduled = ScheduledEvent.safeParse(input)
    return scheduled.success
      ? { ok: true, event: { kind: "scheduled", options: scheduled.data.detail ?? {} } }
      : { ok: false, message: `not a scheduled event this function understands: ${describe(scheduled.error)}` }
  }
  const direct = InvocationOptions.safeParse(input)
  return direct.success
    ? { ok: true, event: { kind: "direct", options: direct.data } }
    : {
        ok: false,
        message: `invalid invocation: ${describe(direct.error)}. Expected { "dryRun"?: boolean, "pipeline"?: string, "allowDeletes"?: boolean } or an EventBridge scheduled event.`
      }
}
