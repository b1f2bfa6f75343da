/**
 * A sorted list of changes that may be too large for memory: a million creates is the first run of every large
 * directory. Changes are held in memory up to `after` of them; past that, each full buffer is sorted by externalId
 * and written to a temporary file as one run (a line per change: its externalId as JSON, a tab, the change as
 * stable JSON). Iterating the list merges the runs, reading each through a small buffer, so memory stays flat
 * whatever the plan's size. A list that never filled its buffer is a plain sorted array, as plans always were.
 *
 * The file is removed from its folder as soon as it is opened (POSIX keeps it readable through the open
 * descriptor and frees it when that closes, even if the process is killed), and the descriptor is closed when
 * the list is garbage-collected or `close`d.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Hash from "../../domain/Hash.ts"
import type { Changes } from "../Plan.ts"

export interface SpillOptions {
  /** Changes held in memory before the first run is written (default 20,000). */
  readonly after?: number
  /** Folder of the temporary file (default the system's temporary folder). */
  readonly dir?: string
}

interface Keyed {
  readonly externalId: string
}

interface Run {
  readonly start: number
  readonly end: number
}

const byId = (a: Keyed, b: Keyed) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0)

let counter = 0

/** An open temporary file, already unlinked where the platform allows it. */
class SpillFile {
  readonly fd: number
  private path: string | undefined
  size = 0

  constructor(dir: string) {
    const path = join(dir, `anysource-plan-${process.pid}-${Date.now()}-${counter++}.spill`)
    this.fd = openSync(path, "wx+", 0o600)
    try {
      rmSync(path)
    } catch {
      this.path = path // Windows: an open file cannot be removed; it is removed on close
    }
  }

  append(text: string): void {
    const bytes = Buffer.from(text, "utf8")
    let at = 0
    while (at < bytes.length) at += writeSync(this.fd, bytes, at, bytes.length - at, this.size + at)
    this.size += bytes.length
  }

  read(into: Buffer, offset: number, length: number, position: number): number {
    return readSync(this.fd, into, offset, length, position)
  }

  close(): void {
    try {
      closeSync(this.fd)
    } catch {
      // already closed
    }
    if (this.path !== undefined) rmSync(this.path, { force: true })
  }
}

const files = new FinalizationRegistry<SpillFile>((file) => file.close())

/** Lines of one run, read through a buffer that grows only for a line longer than it. */
class RunReader {
  private buffer = Buffer.allocUnsafe(1 << 16)
  private from = 0
  private to = 0
  private position: number
  /** The current line's key and change text (undefined when the run is done). */
  key: string | undefined
  text = ""

  constructor(
    private readonly file: SpillFile,
    private readonly run: Run
  ) {
    this.position = run.start
    this.next()
  }

  next(): void {
    for (;;) {
      const nl = this.buffer.indexOf(10, this.from)
      if (nl !== -1 && nl < this.to) {
        const tab = this.buffer.indexOf(9, this.from)
        const keyText = this.buffer.toString("utf8", this.from, tab)
        this.key = keyText.includes("\\") ? (JSON.parse(keyText) as string) : keyText.slice(1, -1)
        this.text = this.buffer.toString("utf8", tab + 1, nl)
        this.from = nl + 1
        return
      }
      if (this.position >= this.run.end) {
        this.key = undefined
        return
      }
      // keep the partial line, refill (growing the buffer when the line fills it)
      const rest = this.to - this.from
      if (rest === this.buffer.length) {
        const bigger = Buffer.allocUnsafe(this.buffer.length * 2)
        this.buffer.copy(bigger, 0, this.from, this.to)
        this.buffer = bigger
      } else this.buffer.copy(this.buffer, 0, this.from, this.to)
      this.from = 0
      this.to = rest
      const n = this.file.read(
        this.buffer,
        this.to,
        Math.min(this.buffer.length - this.to, this.run.end - this.position),
        this.position
      )
      if (n <= 0) throw new Error(`the plan's temporary file ended early at byte ${this.position}`)
      this.position += n
      this.to += n
    }
  }
}

/** The changes of a large plan, in a temporary file as sorted runs: iterated by merging them. */
export class SpilledChanges<A extends Keyed> implements Changes<A> {
  constructor(
    private readonly file: SpillFile,
    private readonly runs: ReadonlyArray<Run>,
    readonly length: number
  ) {}

  /** Each change's stable JSON text, in externalId order (a k-way merge of the runs through a binary heap). */
  *texts(): Generator<string, void, undefined> {
    const heap = this.runs.map((run) => new RunReader(this.file, run)).filter((r) => r.key !== undefined)
    const less = (i: number, j: number) => heap[i]!.key! < heap[j]!.key!
    const down = (i: number): void => {
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && less(l, m)) m = l
        if (r < heap.length && less(r, m)) m = r
        if (m === i) return
        ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
        i = m
      }
    }
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i)
    while (heap.length > 0) {
      const top = heap[0]!
      yield top.text
      top.next()
      if (top.key === undefined) {
        heap[0] = heap[heap.length - 1]!
        heap.pop()
      }
      down(0)
    }
  }

  *[Symbol.iterator](): Iterator<A> {
    for (const text of this.texts()) yield JSON.parse(text) as A
  }

  /** The list's stable JSON, in pieces (read by `Hash.stableHash` and `Hash.stableStringify`). */
  *[Hash.stableJsonText](): Generator<string, void, undefined> {
    let first = true
    yield "["
    for (const text of this.texts()) {
      yield first ? text : `,${text}`
      first = false
    }
    yield "]"
  }

  /** For `JSON.stringify`: every change in memory (writers of large plans iterate instead). */
  toJSON(): Array<A> {
    return [...this]
  }

  /** Close the temporary file now (otherwise when the list is garbage-collected). Iterating afterwards fails. */
  close(): void {
    files.unregister(this)
    this.file.close()
  }
}

/** Collects changes (each externalId once) and hands them back sorted by externalId: in memory, or spilled. */
export class SortedSpill<A extends Keyed> {
  private buffer: Array<A> = []
  private file: SpillFile | undefined
  private readonly runs: Array<Run> = []
  private count = 0
  private readonly after: number
  private readonly dir: string

  constructor(options: SpillOptions = {}) {
    this.after = Math.max(1, options.after ?? 20_000)
    this.dir = options.dir ?? tmpdir()
  }

  add(change: A): void {
    this.buffer.push(change)
    this.count++
    if (this.buffer.length >= this.after) this.flush()
  }

  private flush(): void {
    if (this.buffer.length === 0) return
    this.buffer.sort(byId)
    if (this.file === undefined) {
      this.file = new SpillFile(this.dir)
      // a plan that fails before it finishes (a duplicate id, a source error) still closes its file
      files.register(this, this.file, this)
    }
    const file = this.file
    const start = file.size
    let text = ""
    for (const c of this.buffer) {
      text += `${JSON.stringify(c.externalId)}\t${Hash.stableStringify(c)}\n`
      if (text.length >= 1 << 20) {
        file.append(text)
        text = ""
      }
    }
    file.append(text)
    this.runs.push({ start, end: file.size })
    this.buffer = []
  }

  /** Every change added, sorted by externalId: an array when they fit in memory, else a `SpilledChanges`. */
  finish(): Changes<A> {
    if (this.file === undefined) return this.buffer.sort(byId)
    this.flush()
    const list = new SpilledChanges<A>(this.file, this.runs, this.count)
    files.unregister(this)
    files.register(list, this.file, list)
    return list
  }
}
