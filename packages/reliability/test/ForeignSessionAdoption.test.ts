/**
 * Regression (found by this suite, fixed in core's Orchestrator in ad64092): a run that gave up waiting for a
 * foreign session (policy wait, ApplyError ForeignSession) used to leave its journal checkpoint at CREATED without
 * a session id; the next run read that as "our create was in flight when we died" and adopted the foreign, empty
 * CREATED session: it uploaded into someone else's session and triggered it.
 */
import { API_TOKEN, SOURCE_ID } from "@anysource/bench/Harness"
import { afterEach, expect, it } from "vitest"
import * as Scenario from "../src/Scenario.ts"

const open: Array<Scenario.Scenario> = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})

it("a run after one that gave up on a foreign session (policy wait) does not upload into that foreign session", async () => {
  const s = await Scenario.make()
  open.push(s)
  s.write(s.day0)
  expect((await s.run()).report.outcome).toBe("applied")
  s.write(s.day1)
  const res = await fetch(`${s.org.emu.url}/api/v1/identity-sources/${SOURCE_ID}/sessions`, {
    method: "POST",
    headers: { authorization: `SSWS ${API_TOKEN}`, accept: "application/json" }
  })
  const foreign = ((await res.json()) as { id: string }).id
  const config = { foreignSessionPolicy: "wait" as const, sessionTimeoutMs: 5 * 60 * 1000 }
  const first = await s.run({ config })
  expect(first.report.error).toMatchObject({ tag: "ApplyError", reason: "ForeignSession" })
  const second = await s.run({ config })
  // policy wait: the foreign session is not ours to use; the second run must wait (and time out) again
  expect(s.org.emu.sessions().find((x) => x.id === foreign)).toMatchObject({ status: "CREATED", uploads: 0 })
  expect(second.report.error).toMatchObject({ tag: "ApplyError", reason: "ForeignSession" })
})
