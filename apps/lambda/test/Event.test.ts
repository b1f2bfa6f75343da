import { describe, expect, it } from "vitest"
import * as Event from "../src/Event.ts"

describe("event parsing", () => {
  it("reads an EventBridge scheduled event, with options in detail", () => {
    const scheduled = {
      version: "0",
      id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "123456789012",
      time: "2026-11-28T06:00:00Z",
      region: "us-east-1",
      resources: ["arn:aws:events:us-east-1:123456789012:rule/nightly"],
      detail: {}
    }
    expect(Event.parse(scheduled)).toEqual({ ok: true, event: { kind: "scheduled", options: {} } })
    expect(Event.parse({ ...scheduled, detail: { pipeline: "contractors", dryRun: true } })).toEqual({
      ok: true,
      event: { kind: "scheduled", options: { pipeline: "contractors", dryRun: true } }
    })
  })

  it("reads direct invocations and empty payloads", () => {
    expect(Event.parse({ dryRun: true, pipeline: "hr-main", allowDeletes: false })).toEqual({
      ok: true,
      event: { kind: "direct", options: { dryRun: true, pipeline: "hr-main", allowDeletes: false } }
    })
    expect(Event.parse({})).toEqual({ ok: true, event: { kind: "direct", options: {} } })
    expect(Event.parse(null)).toEqual({ ok: true, event: { kind: "direct", options: {} } })
  })

  it("refuses typos, wrong types and pipeline names that could escape the pipelines folder", () => {
    const typo = Event.parse({ dryrun: true })
    expect(typo.ok).toBe(false)
    if (!typo.ok) expect(typo.message).toContain('Unrecognized key: "dryrun"')
    expect(Event.parse({ dryRun: "yes" }).ok).toBe(false)
    for (const pipeline of ["../secrets", "a/b", "", ".hidden"]) expect(Event.parse({ pipeline }).ok).toBe(false)
    expect(Event.parse({ "detail-type": "Scheduled Event", source: "aws.events", detail: { allowDeletes: "true" } }).ok).toBe(false)
    expect(Event.parse([1, 2]).ok).toBe(false)
  })
})
