/**
 * Deterministic synthetic HR data: N employees with realistic, partly non-ASCII names, departments,
 * titles, locations and managers, and a change generator (updates, leavers, joiners) over a dataset.
 * Same seed, same N → byte-identical output.
 */

/** mulberry32: a tiny, well-known deterministic PRNG (good enough for test data, not for crypto). */
export const prng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const firstNames = [
  "Anna", "Zoë", "José", "Ángel", "Björn", "Łukasz", "Søren", "François", "Chloé", "Mateus", "Núria", "Oğuz",
  "Dmitri", "Aiko", "Wei", "Priya", "Kwame", "Fatima", "Liam", "Olivia", "Noah", "Emma", "Mohammed", "Sofía",
  "Jürgen", "Renée", "Ingrid", "Thảo", "Siobhán", "Héloïse", "Åsa", "Marek", "Eitan", "Yara", "Kai", "Mia"
]
const lastNames = [
  "Müller", "García", "Nguyễn", "Kowalski", "Øster", "Dubois", "O'Connor", "Smith", "Jensen", "Rossi",
  "Ångström", "Yılmaz", "Novák", "Tanaka", "Chen", "Patel", "Mensah", "Haddad", "Johnson", "Brown",
  "Fernández", "Schröder", "Lefèvre", "Virtanen", "Costa", "Żukowski", "Byrne", "Ivanova", "Kim", "Silva"
]
const departments = ["Engineering", "Sales", "Marketing", "Finance", "People", "Legal", "Support", "Operations", "Product", "Design"]
const titles = ["Associate", "Specialist", "Senior Specialist", "Lead", "Manager", "Senior Manager", "Director"]
const locations = ["Berlin", "São Paulo", "Kraków", "Zürich", "Montréal", "Tokyo", "Austin", "Dublin", "Lyon", "Seoul"]

export interface Employee {
  employee_id: string
  first_name: string
  last_name: string
  email: string
  department: string
  title: string
  location: string
  manager_id: string
  status: "active" | "leave"
  start_date: string
}

export const columns: ReadonlyArray<keyof Employee> = [
  "employee_id", "first_name", "last_name", "email", "department", "title", "location", "manager_id", "status", "start_date"
]

const ascii = (s: string) =>
  s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z]/g, "")
    .toLowerCase()

export const employee = (i: number, rand: () => number): Employee => {
  const pick = <T>(xs: ReadonlyArray<T>): T => xs[Math.floor(rand() * xs.length)] as T
  const first = pick(firstNames)
  const last = pick(lastNames)
  const id = `E${String(i + 1).padStart(7, "0")}`
  const day = 1 + Math.floor(rand() * 28)
  const month = 1 + Math.floor(rand() * 12)
  const year = 2005 + Math.floor(rand() * 20)
  return {
    employee_id: id,
    first_name: first,
    last_name: last,
    email: `${ascii(first)}.${ascii(last)}.${i + 1}@example.com`,
    department: pick(departments),
    title: pick(titles),
    location: pick(locations),
    manager_id: i < 10 ? "" : `E${String(1 + Math.floor(rand() * Math.min(i, 1000))).padStart(7, "0")}`,
    status: rand() < 0.98 ? "active" : "leave",
    start_date: `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`
  }
}

/** N employees, deterministic for a seed. A generator so 1,000,000 rows never sit in memory. */
export function* employees(n: number, seed = 42): Generator<Employee> {
  const rand = prng(seed)
  for (let i = 0; i < n; i++) yield employee(i, rand)
}

export interface ChangeSpec {
  /** Fraction of rows whose title/department/location changes. */
  readonly updates: number
  /** Fraction of rows removed (leavers). */
  readonly leavers: number
  /** Fraction of N added as new rows (joiners). */
  readonly joiners: number
  readonly seed?: number
  /** Index of the first joiner (default `n`); pass a higher one when changing an already changed dataset, so ids stay unique. */
  readonly joinerStart?: number
}

/** Apply a change spec to a stream of employees: what the next day's export looks like. */
export function* withChanges(rows: Iterable<Employee>, n: number, spec: ChangeSpec): Generator<Employee> {
  const rand = prng(spec.seed ?? 7)
  for (const row of rows) {
    const r = rand()
    if (r < spec.leavers) continue
    if (r < spec.leavers + spec.updates) {
      yield { ...row, title: row.title === "Director" ? "Lead" : "Director", location: row.location === "Dublin" ? "Berlin" : "Dublin" }
    } else yield row
  }
  const joinRand = prng((spec.seed ?? 7) + 1)
  const joiners = Math.round(n * spec.joiners)
  const start = spec.joinerStart ?? n
  for (let j = 0; j < joiners; j++) yield employee(start + j, joinRand)
}

const csvCell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)

/** The mapping the bench configs use: employee CSV columns → Okta profile. */
export const employeeMapping = {
  externalId: "employee_id",
  profile: {
    userName: "email",
    email: "email",
    firstName: "first_name",
    lastName: "last_name",
    department: "department",
    title: "title",
    city: "location",
    managerId: "manager_id"
  }
} as const

export const csvHeader = () => columns.join(",") + "\n"
export const csvLine = (e: Employee) => columns.map((c) => csvCell(e[c])).join(",") + "\n"
