/**
 * The confirmation before `apply` and `sessions cancel`, run in-process through `main` with an injected terminal:
 * the question is asked only where someone can answer, and refused (exit 11) everywhere else. The same refusal
 * through the built binary and the prompt through a real pseudo-terminal are in pipes.int.test.ts.
 */
import { startEmulator } from "@anysource/okta-emulator"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { PassThrough, Writable } from "node:stream"
import { afterAll, describe, expect, it } from "vitest"
import { main } from "../src/Cli.ts"
import * as Env from "../src/Env.ts"
import { ExitCode } from "../src/ExitCodes.ts"
import * as Confirm from "../src/internal/Confirm.ts"
import { copyQuickstart, emulatorOf, removeTempDirs } from "./support/cli.ts"

afterAll(removeTempDirs)

const capture = () => {
  const chunks: Array<string> = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk))
      cb()
    }
  })
  return { stream, text: () => chunks.join("") }
}

/** A person at a terminal (stdin and stderr are terminals, no CI); stdout is a pipe unless said otherwise. */
const atTerminal: Partial<Env.CliEnv> = { ci: false, stdinIsTTY: true, stderrIsTTY: true }

const run = async (
  argv: ReadonlyArray<string>,
  env: Partial<Env.CliEnv>,
  answers: ReadonlyArray<boolean> = [],
  vars: Record<string, string> = {}
) => {
  const stdout = capture()
  const stderr = capture()
  const asked: Array<string> = []
  const code = await Effect.runPromise(
    main(argv, Env.forTest({ ...env, vars: { ...vars } }), {
      stdout: stdout.stream,
      stderr: stderr.stream,
      ask: Confirm.scripted(answers, asked)
    })
  )
  return { code, stdout: stdout.text(), stderr: stderr.text(), asked }
}

/** A copy of the quickstart whose embedded org is set up (`setup apply --yes`, in-process), as its README says. */
const setUpQuickstart = async () => {
  const dir = copyQuickstart({ setup: false })
  const setup = await run(["setup", "apply", "--yes", "-c", path.join(dir, "anysource.yaml")], {})
  expect(setup.code, setup.stderr).toBe(ExitCode.Ok)
  return dir
}

describe("apply asks where someone can answer, and refuses elsewhere", () => {
  it("without a terminal (CI set, or stdin not a terminal) and without --yes: exit 11 before reading anything, no question", async () => {
    const dir = copyQuickstart({ setup: false })
    const config = path.join(dir, "anysource.yaml")
    for (const [env, why] of [
      [{}, "CI is set"],
      [{ ci: false }, "stdin is not a terminal"],
      [{ ci: false, stdinIsTTY: true }, "stderr is not a terminal"]
    ] as const) {
      const r = await run(["apply", "-c", config], env)
      expect(r.code, r.stderr).toBe(ExitCode.ConfirmationRequired)
      expect(r.asked).toEqual([])
      expect(r.stdout).toBe("")
      expect(r.stderr).toContain("apply needs a confirmation (exit 11)")
      expect(r.stderr).toContain(why)
      expect(r.stderr).toContain("--yes")
    }
    // nothing was read or sent: not even the state store or the embedded org exist
    expect(fs.existsSync(path.join(dir, ".anysource"))).toBe(false)
  })

  it('on a terminal: shows the plan, asks once; "no" sends nothing (exit 2), "yes" applies exactly that plan', async () => {
    const dir = await setUpQuickstart()
    const config = path.join(dir, "anysource.yaml")
    const declined = await run(["apply", "-c", config], atTerminal, [false])
    expect(declined.code, declined.stderr).toBe(ExitCode.Changes)
    expect(declined.asked).toEqual([
      "Apply these 586 changes to the embedded emulator (identity source 0oaqu1ckstart0000001)?"
    ])
    // stdout is not a terminal: the plan is shown on stderr, with the question
    expect(declined.stderr).toMatch(
      /Plan for identity source 0oaqu1ckstart0000001[\s\S]*298 record changes and 288 membership changes to apply/
    )
    expect(declined.stderr).toContain("Apply cancelled; nothing was sent to Okta.")
    expect(emulatorOf(dir).sessions).toHaveLength(0)

    const confirmed = await run(["apply", "-c", config], { ...atTerminal, stdoutIsTTY: true }, [true])
    expect(confirmed.code, confirmed.stderr).toBe(ExitCode.Ok)
    expect(confirmed.asked).toHaveLength(1)
    // stdout is a terminal: the plan is shown there, then the report
    expect(confirmed.stdout).toMatch(/Plan for identity source[\s\S]*Applied in/)
    expect(emulatorOf(dir).users.filter((u) => u.status === "ACTIVE")).toHaveLength(288)

    // nothing to change: nothing to ask
    const again = await run(["apply", "-c", config], atTerminal, [])
    expect(again.code, again.stderr).toBe(ExitCode.Ok)
    expect(again.asked).toEqual([])
  })

  it("--json on a terminal still asks: the plan and question on stderr, stdout only the JSON report", async () => {
    const dir = await setUpQuickstart()
    const r = await run(["apply", "--json", "-c", path.join(dir, "anysource.yaml")], atTerminal, [true])
    expect(r.code, r.stderr).toBe(ExitCode.Ok)
    expect(r.asked).toHaveLength(1)
    expect(r.stderr).toContain("Plan for identity source")
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: "apply", outcome: "applied" })
  })

  it("--yes applies without asking, terminal or not", async () => {
    const dir = await setUpQuickstart()
    const r = await run(["apply", "--yes", "-c", path.join(dir, "anysource.yaml")], {}, [])
    expect(r.code, r.stderr).toBe(ExitCode.Ok)
    expect(r.asked).toEqual([])
  })
})

describe("sessions cancel", () => {
  it("refuses without --yes and a terminal; asks on one; says what a finished session is instead of blaming Okta", async () => {
    const emulator = await startEmulator({
      tokens: [{ token: "t0k3n-for-the-test-0001" }],
      // the quickstart's attributes declared (an admin's Profile Editor, or `anysource setup apply`)
      identitySources: [{ id: "0oareal0000000000001", customAttributes: ["title", "department", "managerId", "city"] }],
      listSessions: "all"
    })
    try {
      const dir = copyQuickstart({ setup: false })
      const config = path.join(dir, "anysource.yaml")
      fs.writeFileSync(
        config,
        fs
          .readFileSync(config, "utf8")
          .replace(
            "  orgUrl: embedded",
            `  orgUrl: ${emulator.url}\n  auth: { type: ssws, token: "\${OKTA_API_TOKEN}" }`
          )
          .replace("identitySourceId: 0oaqu1ckstart0000001", "identitySourceId: 0oareal0000000000001")
      )
      const vars = { OKTA_API_TOKEN: "t0k3n-for-the-test-0001" }
      const created = await fetch(`${emulator.url}/api/v1/identity-sources/0oareal0000000000001/sessions`, {
        method: "POST",
        headers: { Authorization: "SSWS t0k3n-for-the-test-0001", Accept: "application/json" }
      })
      const { id } = (await created.json()) as { id: string }
      const status = () => emulator.sessions("0oareal0000000000001").find((x) => x.id === id)?.status

      const refused = await run(["sessions", "cancel", id, "-c", config], {}, [], vars)
      expect(refused.code, refused.stderr).toBe(ExitCode.ConfirmationRequired)
      expect(refused.stderr).toContain("sessions cancel needs a confirmation")
      expect(status()).toBe("CREATED")

      const declined = await run(["sessions", "cancel", id, "-c", config], atTerminal, [false], vars)
      expect(declined.code, declined.stderr).toBe(ExitCode.Ok)
      expect(declined.asked).toEqual([`Cancel session ${id} (CREATED)? Its staged data is discarded.`])
      expect(status()).toBe("CREATED")

      const confirmed = await run(["sessions", "cancel", id, "-c", config], atTerminal, [true], vars)
      expect(confirmed.code, confirmed.stderr).toBe(ExitCode.Ok)
      expect(status()).toBe("CLOSED")
      const again = await run(["sessions", "cancel", id, "--yes", "-c", config], {}, [], vars)
      expect(again.code, again.stderr).toBe(ExitCode.Ok)
      expect(again.stdout).toContain("already cancelled (CLOSED)")

      // a COMPLETED session: say so (it was "the session changed state under us")
      await run(["apply", "--yes", "-c", config], {}, [], vars)
      const completed = emulator.sessions("0oareal0000000000001").find((x) => x.status === "COMPLETED")!
      const r = await run(["sessions", "cancel", completed.id, "--yes", "-c", config], {}, [], vars)
      expect(r.code, r.stderr).toBe(ExitCode.Usage)
      expect(r.stderr).toContain(
        `Session ${completed.id} is COMPLETED: only CREATED or IN_PROGRESS sessions can be cancelled (its import has already happened)`
      )
      expect(r.stderr).not.toContain("changed state under us")

      // an unknown session id: the session is named, not the identity source
      const nope = await run(["sessions", "show", "apsNOPE", "-c", config], {}, [], vars)
      expect(nope.code, nope.stderr).toBe(ExitCode.Usage)
      expect(nope.stderr).toContain("No import session apsNOPE for identity source 0oareal0000000000001")
      expect(nope.stderr).not.toContain("okta.identitySourceId")

      // sessions list: open ones by default, saying so; --all with the finished ones, newest first
      const open = await run(["sessions", "list", "-c", config], {}, [], vars)
      expect(open.stdout).toContain("No open import sessions for 0oareal0000000000001.")
      expect(open.stdout).toMatch(/--all` also shows the \d+ finished ones?\./)
      const all = await run(["sessions", "list", "--all", "-c", config], {}, [], vars)
      expect(all.stdout).toContain(completed.id)
      expect(all.stdout).toContain(id)
      expect(all.stdout).toMatch(/COMPLETED/)
    } finally {
      await emulator.close()
    }
  })
})

describe("Confirm.make (the live question)", () => {
  const ask = async (input: string | undefined) => {
    const stdin = new PassThrough()
    const out = capture()
    const answer = Effect.runPromise(Confirm.make(stdin, out.stream)("Go?"))
    if (input === undefined) stdin.end()
    else stdin.write(input)
    return { answer: await answer, shown: out.text() }
  }

  it("only y or yes confirms; Enter, anything else or end of input declines", async () => {
    expect(await ask("y\n")).toEqual({ answer: true, shown: "Go? [y/N] " })
    expect((await ask("YES\n")).answer).toBe(true)
    expect((await ask("\n")).answer).toBe(false)
    expect((await ask("yep\n")).answer).toBe(false)
    expect((await ask(undefined)).answer).toBe(false)
  })
})
