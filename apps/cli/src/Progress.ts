/**
 * Live progress for `plan`/`apply`. On an interactive terminal: cli-progress bars (rows read,
 * batches uploaded, the session's status, a countdown while Okta's 5-minute rule holds the next
 * session). Otherwise (CI, pipes, --log-format json): one plain log line per meaningful event.
 */
import type { Plan, ReadBack, Sync } from "@anysource/core"
import cliProgress from "cli-progress"
import { Effect } from "effect"
import * as Style from "./internal/Style.ts"

/** An orchestrator event, read loosely so the UI keeps working when the orchestrator adds fields. */
type ApplyEventLike = { readonly _tag: string } & Readonly<Record<string, unknown>>

export interface ProgressUi {
  readonly onEvent: (event: Sync.SyncEvent) => Effect.Effect<void>
  /** Remove the bars (idempotent); call before printing anything else. */
  readonly stop: Effect.Effect<void>
}

export interface ProgressOptions {
  readonly interactive: boolean
  readonly style: Style.Style
  /** Where plain lines go (the CLI's logger). */
  readonly log: (message: string) => Effect.Effect<void>
  readonly stream?: NodeJS.WritableStream
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined)
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined)

export const clock = (ms: number): string => {
  const total = Math.max(0, Math.ceil(ms / 1000))
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`
}

const kb = (bytes: number | undefined) => (bytes === undefined ? "" : `, ${(bytes / 1024).toFixed(1)} KB`)

/** The one-line description of an apply event (used for plain log lines; tested). */
export const describeApplyEvent = (event: ApplyEventLike): string | undefined => {
  const index = num(event.index) ?? num(event.sessionIndex)
  const sid = str(event.sessionId)
  const label = `session ${index !== undefined ? index + 1 : ""}${num(event.total) !== undefined ? `/${num(event.total)}` : ""}${sid ? ` (${sid})` : ""}`
    .replace("session  (", "session (")
  switch (event._tag) {
    case "SessionCreated":
      return `${label} created`
    case "BatchUploaded": {
      const batch = num(event.batch)
      const batches = num(event.batches)
      return `${label}: uploaded batch ${batch !== undefined ? batch + 1 : "?"}/${batches ?? "?"} (${num(event.entities) ?? "?"} entities${kb(num(event.bytes))})`
    }
    case "SessionTriggered":
      return `${label} triggered; Okta is importing`
    case "SessionStatus":
      return `${label} is ${str(event.status) ?? "?"}`
    case "WaitingForSessionGap":
      return `waiting ${clock(num(event.remainingMillis) ?? 0)} before the next session (${str(event.reason) ?? "Okta allows one new session per identity source every 5 minutes"})`
    case "RateLimited":
      return `rate-limited by Okta: waiting ${clock(num(event.waitMillis) ?? 0)}`
    case "Retrying":
      return `retrying${num(event.attempt) !== undefined ? ` (attempt ${num(event.attempt)})` : ""}${str(event.reason) ? `: ${str(event.reason)}` : ""}`
    case "SessionCompleted":
      return `${label} completed`
    case "Committed":
      return `${label}: state committed${num(event.changes) !== undefined ? ` (${num(event.changes)} changes)` : ""}`
    case "Resumed":
      return `resuming the unfinished apply${str(event.runId) ? ` of ${str(event.runId)}` : ""}${num(event.fromSession) !== undefined ? ` from session ${num(event.fromSession)! + 1}` : ""}`
    default:
      return undefined
  }
}

const taskLabel: Record<ReadBack.Task, string> = { verify: "verify", refresh: "refresh", drift: "drift", rebuild: "rebuild" }

/**
 * The one-line description of a read-back event (verification, refresh, drift, state rebuild), for plain logs;
 * progress lines only every `every` records (and the last).
 */
export const describeReadBack = (event: ReadBack.ReadBackEvent, every = 500): string | undefined => {
  const task = taskLabel[event.task]
  switch (event._tag) {
    case "ReadBackStarted":
      return `${task}: reading ${event.total} ${event.what} back from Okta`
    case "ReadBackProgress":
      return event.done % every === 0 || event.done === event.total ? `${task}: ${event.done}/${event.total} read` : undefined
    case "ReadBackPaused":
      return `${task}: pausing ${clock(event.millis)} to leave the rest of Okta's rate-limit window free`
  }
}

/** The log line once the plan is known: the same counts as the plan's summary (memberships are member additions/removals). */
export const plannedLine = (plan: Plan.Plan): string => {
  const m = plan.summary.memberships
  return `planned: read ${plan.summary.rowsRead} rows; ${plan.users.length} user and ${plan.groups.length} group changes, ${m.add} membership additions and ${m.remove} removals`
}

const plain = (options: ProgressOptions): ProgressUi => {
  let lastLoggedRows = 0
  return {
    onEvent: (event) => {
      switch (event._tag) {
        case "ReadProgress":
          // Sync reports every 1,000 rows; log at most every 50,000 (and the final count via Planned).
          if (event.rows - lastLoggedRows >= 50_000) {
            lastLoggedRows = event.rows
            return options.log(`read ${event.rows} rows`)
          }
          return Effect.void
        case "Planned":
          return options.log(plannedLine(event.plan))
        case "Apply": {
          const line = describeApplyEvent(event.event as unknown as ApplyEventLike)
          return line ? options.log(line) : Effect.void
        }
        case "ReadBack": {
          const line = describeReadBack(event.event)
          return line ? options.log(line) : Effect.void
        }
      }
      return Effect.void
    },
    stop: Effect.void
  }
}

const interactive = (options: ProgressOptions): ProgressUi => {
  const s = options.style
  const multi = new cliProgress.MultiBar(
    {
      stream: options.stream ?? process.stderr,
      clearOnComplete: false,
      hideCursor: true,
      autopadding: true,
      barsize: 28,
      format: (opts, params, payload: { label?: string; info?: string; unit?: string; status?: boolean }) => {
        if (payload.status) return `${s.bold((payload.label ?? "").padEnd(10))} ${payload.info ?? ""}`
        const size = opts.barsize ?? 28
        const filled = params.total > 0 ? Math.round(Math.min(1, params.value / params.total) * size) : 0
        const bar = params.total > 0 ? `${"█".repeat(filled)}${"░".repeat(size - filled)}` : " ".repeat(size)
        const counts = params.total > 0 ? `${params.value}/${params.total}` : `${params.value}`
        return `${s.bold((payload.label ?? "").padEnd(10))} ${s.cyan(bar)} ${counts} ${payload.unit ?? ""} ${s.dim(payload.info ?? "")}`
      }
    },
    cliProgress.Presets.shades_classic
  )
  const read = multi.create(0, 0, { label: "read", unit: "rows", info: "" })
  let upload: cliProgress.SingleBar | undefined
  let readBack: cliProgress.SingleBar | undefined
  let status: cliProgress.SingleBar | undefined
  let uploaded = 0
  let countdown: ReturnType<typeof setInterval> | undefined
  let stopped = false
  const clearCountdown = () => {
    if (countdown) clearInterval(countdown)
    countdown = undefined
  }
  const statusLine = (info: string) => {
    if (!status) status = multi.create(0, 0, { label: "okta", unit: "", info, status: true })
    else status.update(0, { info })
  }
  const apply = (event: ApplyEventLike) => {
    switch (event._tag) {
      case "BatchUploaded": {
        const batches = num(event.batches) ?? 0
        if (!upload) upload = multi.create(batches, 0, { label: "upload", unit: "batches", info: "" })
        uploaded++
        upload.setTotal(Math.max(batches, uploaded))
        upload.update(uploaded, { info: `session ${(num(event.sessionIndex) ?? 0) + 1}${kb(num(event.bytes))}` })
        break
      }
      case "WaitingForSessionGap": {
        clearCountdown()
        const until = Date.now() + (num(event.remainingMillis) ?? 0)
        const tick = () => statusLine(`waiting ${clock(until - Date.now())} for Okta's 5-minute session rule`)
        tick()
        countdown = setInterval(tick, 1000)
        countdown.unref?.()
        break
      }
      default: {
        const line = describeApplyEvent(event)
        if (line) {
          clearCountdown()
          statusLine(line)
        }
      }
    }
  }
  return {
    onEvent: (event) =>
      Effect.sync(() => {
        if (stopped) return
        switch (event._tag) {
          case "ReadProgress":
            read.update(event.rows)
            break
          case "Planned":
            read.setTotal(event.plan.summary.rowsRead)
            read.update(event.plan.summary.rowsRead, { info: "planned" })
            break
          case "Apply":
            apply(event.event as unknown as ApplyEventLike)
            break
          case "ReadBack": {
            const e = event.event
            if (e._tag === "ReadBackStarted") {
              if (!readBack) readBack = multi.create(e.total, 0, { label: taskLabel[e.task], unit: e.what, info: "" })
              else readBack.setTotal(e.total)
              readBack.update(0, { label: taskLabel[e.task], unit: e.what, info: "" })
            } else if (e._tag === "ReadBackProgress") readBack?.update(e.done, { info: "" })
            else readBack?.update({ info: `paused ${clock(e.millis)} for rate-limit headroom` })
            break
          }
        }
      }),
    stop: Effect.sync(() => {
      if (stopped) return
      stopped = true
      clearCountdown()
      multi.stop()
    })
  }
}

export const make = (options: ProgressOptions): ProgressUi => (options.interactive ? interactive(options) : plain(options))
