/**
 * File selection and readiness rules on an in-memory remote, with the stability window and minAge driven by
 * TestClock (no real waiting).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import type { Remote, RemoteFile, Spec } from "../src/internal/select.ts"
import { ensureReady, expandTemplate, select } from "../src/internal/select.ts"

/** A directory listing the test can change while an effect is waiting. */
const fakeRemote = (files: Map<string, RemoteFile>): Remote => ({
  stat: (path) => Effect.sync(() => files.get(path)),
  list: (dir) => Effect.sync(() => [...files.values()].filter((f) => f.path.startsWith(`${dir}/`) && !f.path.slice(dir.length + 1).includes("/")))
})

const filesOf = (...list: Array<[string, number, number]>) =>
  new Map(list.map(([path, size, mtimeMs]) => [path, { path, size, mtimeMs }]))

const spec = (path: string, extra: Partial<Spec> = {}): Spec => ({ path, pick: "newest", display: (p) => `sftp://h${p}`, ...extra })

const names = (files: ReadonlyArray<RemoteFile>) => files.map((f) => f.path)

describe("select", () => {
  it.effect("an exact path is stat'ed; a missing one is NotFound", () =>
    Effect.gen(function* () {
      const remote = fakeRemote(filesOf(["/in/people.csv", 10, 1000]))
      expect(names(yield* select(remote, spec("/in/people.csv")))).toEqual(["/in/people.csv"])
      const error = yield* Effect.flip(select(remote, spec("/in/other.csv")))
      expect(error.reason).toBe("NotFound")
      expect(error.message).toBe("sftp://h/in/other.csv does not exist")
    })
  )

  it.effect("newest by mtime; on a tie the last name wins; all = every match in name order", () =>
    Effect.gen(function* () {
      const remote = fakeRemote(
        filesOf(["/in/p-1.csv", 1, 5000], ["/in/p-3.csv", 1, 1000], ["/in/p-2.csv", 1, 5000], ["/in/notes.txt", 1, 9000], ["/in/sub/p-9.csv", 1, 9999])
      )
      expect(names(yield* select(remote, spec("/in/p-*.csv")))).toEqual(["/in/p-2.csv"])
      expect(names(yield* select(remote, spec("/in/p-*.csv", { pick: "all" })))).toEqual(["/in/p-1.csv", "/in/p-2.csv", "/in/p-3.csv"])
      const none = yield* Effect.flip(select(remote, spec("/in/*.json")))
      expect(none.reason).toBe("NotFound")
      expect(none.message).toContain("no file in sftp://h/in matches *.json")
    })
  )

  it.effect("marker and checksum files are never data files, even when the glob matches them", () =>
    Effect.gen(function* () {
      const remote = fakeRemote(
        filesOf(["/in/people.csv", 1, 1000], ["/in/people.csv.done", 0, 9000], ["/in/people.csv.sha256", 70, 9500])
      )
      const picked = yield* select(remote, spec("/in/*", { ready: { _tag: "Marker", template: "{name}.done" }, companions: ["{name}.sha256"] }))
      expect(names(picked)).toEqual(["/in/people.csv"])
    })
  )

  it.effect("finalPattern: temporary names are skipped; only temporary names is NotReady, nothing at all is NotFound", () =>
    Effect.gen(function* () {
      const ready = { _tag: "FinalPattern", pattern: "*.csv" } as const
      const both = fakeRemote(filesOf(["/in/a.csv", 1, 1000], ["/in/b.csv.part", 1, 9000]))
      expect(names(yield* select(both, spec("/in/*", { ready })))).toEqual(["/in/a.csv"])
      const inFlight = yield* Effect.flip(select(fakeRemote(filesOf(["/in/b.csv.part", 1, 9000])), spec("/in/*", { ready })))
      expect(inFlight.reason).toBe("NotReady")
      expect(inFlight.retryable).toBe(true)
      expect(inFlight.message).toContain("b.csv.part")
      expect((yield* Effect.flip(select(fakeRemote(filesOf()), spec("/in/*", { ready })))).reason).toBe("NotFound")
      const exact = yield* Effect.flip(select(fakeRemote(filesOf(["/in/b.csv.part", 1, 9000])), spec("/in/b.csv.part", { ready })))
      expect(exact.reason).toBe("NotReady")
    })
  )
})

describe("expandTemplate", () => {
  it("{name} and {stem}, relative to the data file's directory", () => {
    expect(expandTemplate("{name}.done", "/in/people.csv.gz")).toBe("/in/people.csv.gz.done")
    expect(expandTemplate("{stem}.ok", "/in/people.csv.gz")).toBe("/in/people.ok")
    expect(expandTemplate("../sums/{name}.sha256", "/in/people.csv")).toBe("/sums/people.csv.sha256")
    expect(expandTemplate("_SUCCESS", "/in/people.csv")).toBe("/in/_SUCCESS")
  })
})

describe("ensureReady", () => {
  it.effect("stable: waits the window on the Clock, then fails NotReady when size or mtime moved", () =>
    Effect.gen(function* () {
      const files = filesOf(["/in/people.csv", 100, 1000])
      const remote = fakeRemote(files)
      const s = spec("/in/people.csv", { ready: { _tag: "Stable", windowMillis: 30_000 } })
      const first = [...files.values()]
      const fiber = yield* Effect.fork(Effect.flip(ensureReady(remote, s, first, { waitForStable: true })))
      yield* TestClock.adjust("10 seconds")
      files.set("/in/people.csv", { path: "/in/people.csv", size: 250, mtimeMs: 1000 }) // still uploading
      yield* TestClock.adjust("19 seconds")
      expect(fiber.unsafePoll()).toBeNull() // still inside the window
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      expect(error.reason).toBe("NotReady")
      expect(error.retryable).toBe(true)
      expect(error.message).toBe(
        "sftp://h/in/people.csv changed during the 30s stability window (size 100 → 250): it is still being uploaded, so it will be read on a later run"
      )
    })
  )

  it.effect("stable: an unchanged file passes after the window; a touched one (same size) does not", () =>
    Effect.gen(function* () {
      const files = filesOf(["/in/people.csv", 100, 1000])
      const remote = fakeRemote(files)
      const s = spec("/in/people.csv", { ready: { _tag: "Stable", windowMillis: 5_000 } })
      const ok = yield* Effect.fork(ensureReady(remote, s, [...files.values()], { waitForStable: true }))
      yield* TestClock.adjust("5 seconds")
      expect(names(yield* Fiber.join(ok))).toEqual(["/in/people.csv"])

      const touched = yield* Effect.fork(Effect.flip(ensureReady(remote, s, [...files.values()], { waitForStable: true })))
      files.set("/in/people.csv", { path: "/in/people.csv", size: 100, mtimeMs: 2000 })
      yield* TestClock.adjust("5 seconds")
      expect((yield* Fiber.join(touched)).message).toContain("modified again")
    })
  )

  it.effect("stable: check (waitForStable: false) does not wait", () =>
    Effect.gen(function* () {
      const files = filesOf(["/in/people.csv", 100, 1000])
      const s = spec("/in/people.csv", { ready: { _tag: "Stable", windowMillis: 60_000 } })
      const result = yield* ensureReady(fakeRemote(files), s, [...files.values()], { waitForStable: false })
      expect(result).toHaveLength(1)
    })
  )

  it.effect("stable: a file that disappears during the window is NotFound", () =>
    Effect.gen(function* () {
      const files = filesOf(["/in/people.csv", 100, 1000])
      const s = spec("/in/people.csv", { ready: { _tag: "Stable", windowMillis: 1_000 } })
      const fiber = yield* Effect.fork(Effect.flip(ensureReady(fakeRemote(files), s, [...files.values()], { waitForStable: true })))
      files.clear()
      yield* TestClock.adjust("1 second")
      expect((yield* Fiber.join(fiber)).reason).toBe("NotFound")
    })
  )

  it.effect("minAge against the Clock", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_000_000)
      const files = filesOf(["/in/people.csv", 1, 1_000_000 - 90_000]) // modified 90 s ago
      const remote = fakeRemote(files)
      const young = yield* Effect.flip(ensureReady(remote, spec("/in/people.csv", { minAgeMillis: 300_000 }), [...files.values()], { waitForStable: true }))
      expect(young.reason).toBe("NotReady")
      expect(young.message).toContain("was modified 1m 30s ago; minAge is 5m")
      yield* TestClock.adjust("210 seconds")
      const old = yield* ensureReady(remote, spec("/in/people.csv", { minAgeMillis: 300_000 }), [...files.values()], { waitForStable: true })
      expect(old).toHaveLength(1)
    })
  )

  it.effect("marker: NotReady until the marker exists", () =>
    Effect.gen(function* () {
      const files = filesOf(["/in/people.csv", 1, 1000])
      const remote = fakeRemote(files)
      const s = spec("/in/people.csv", { ready: { _tag: "Marker", template: "{stem}.done" } })
      const waiting = yield* Effect.flip(ensureReady(remote, s, [files.get("/in/people.csv")!], { waitForStable: true }))
      expect(waiting.reason).toBe("NotReady")
      expect(waiting.message).toContain("waiting for sftp://h/in/people.done")
      files.set("/in/people.done", { path: "/in/people.done", size: 0, mtimeMs: 2000 })
      expect(yield* ensureReady(remote, s, [files.get("/in/people.csv")!], { waitForStable: true })).toHaveLength(1)
    })
  )
})
