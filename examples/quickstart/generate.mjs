#!/usr/bin/env node
// Writes people.csv: a deterministic sample HR export (same seed → same bytes).
//   node examples/quickstart/generate.mjs [--count 300] [--seed 20261128] [--out people.csv]
// About 300 employees across ten departments, with managers, non-ASCII names, a few terminated
// people (excluded by the config's filter) and four deliberately invalid rows (a bad email, a missing
// last name, a userName over Okta's 100-character limit, a missing email) that anysource reports
// with their line numbers and leaves out.
import { writeFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const args = process.argv.slice(2)
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}
const count = Number(arg("count", "300"))
const seed = Number(arg("seed", "20261128"))
const out = resolve(arg("out", resolve(dirname(fileURLToPath(import.meta.url)), "people.csv")))

// mulberry32: a tiny deterministic PRNG
let state = seed >>> 0
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = (list) => list[Math.floor(random() * list.length)]

const firstNames = [
  "Ana", "José", "Zoë", "Łukasz", "Søren", "Björn", "François", "Chloé", "Mårten", "Íñigo", "Renée", "Nguyễn",
  "Aoife", "Dvořák", "Øystein", "Ýr", "Şebnem", "Jürgen", "Małgorzata", "Ærin", "Noël", "Siobhán", "Ğül", "Thảo",
  "James", "Mary", "Robert", "Patricia", "Michael", "Linda", "David", "Elizabeth", "William", "Barbara", "Richard",
  "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Priya", "Arjun", "Mei", "Hiroshi", "Fatima", "Omar", "Ingrid",
  "Kwame", "Amara", "Lucía", "Mateo", "Sofia", "Liam", "Emma", "Noah", "Olivia", "Elena", "Ivan", "Yuki", "Kai"
]
const lastNames = [
  "García", "Müller", "O'Brien", "Nowak", "Østergaard", "Ødegård", "Sánchez", "Lefèvre", "Kowalczyk", "Çelik",
  "Nguyễn", "Håkansson", "Dubois", "Šimić", "Jóhannsdóttir", "Yılmaz", "Smith", "Johnson", "Williams", "Brown",
  "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Lee",
  "Patel", "Kim", "Chen", "Singh", "Okafor", "Mensah", "Rossi", "Bianchi", "Novak", "Horvat", "Virtanen",
  "Korhonen", "Silva", "Santos", "Costa", "Schmidt", "Schneider", "Fischer", "Weber", "van Dijk", "de Vries"
]
const departments = {
  Engineering: ["Software Engineer", "Senior Software Engineer", "Staff Engineer", "Site Reliability Engineer", "QA Engineer"],
  Product: ["Product Manager", "Senior Product Manager", "Product Analyst"],
  Design: ["Product Designer", "UX Researcher", "Design Lead"],
  Sales: ["Account Executive", "Sales Development Rep", "Director, Enterprise Sales", "Sales Engineer"],
  Marketing: ["Marketing Manager", "Content Strategist", "Growth Marketer"],
  Support: ["Support Specialist", "Support Engineer", "Customer Success Manager"],
  Finance: ["Accountant", "Financial Analyst", "Controller"],
  People: ["HR Business Partner", "Recruiter", "People Operations Specialist"],
  Legal: ["Counsel", "Paralegal"],
  Operations: ["Operations Manager", "IT Administrator", "Office Coordinator"]
}
const cities = ["Berlin", "Lisbon", "São Paulo", "Zürich", "Kraków", "Montréal", "Reykjavík", "Austin", "Dublin", "Tokyo"]

const ascii = (s) =>
  s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[Łł]/g, "l")
    .replace(/[Øø]/g, "o")
    .replace(/[Ææ]/g, "ae")
    .replace(/[Ğğ]/g, "g")
    .replace(/[Şş]/g, "s")
    .replace(/[^A-Za-z]/g, "")
    .toLowerCase()

const used = new Set()
const emailFor = (first, last) => {
  const base = `${ascii(first)}.${ascii(last)}`
  let email = `${base}@example.com`
  for (let n = 2; used.has(email); n++) email = `${base}${n}@example.com`
  used.add(email)
  return email
}

const date = () => {
  const year = 2012 + Math.floor(random() * 14)
  const month = 1 + Math.floor(random() * 12)
  const day = 1 + Math.floor(random() * 28)
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`
}

const rows = []
let nextId = 1001
const person = (department, title, managerId) => {
  const first = pick(firstNames)
  const last = pick(lastNames)
  const row = {
    employee_id: `E${nextId++}`,
    first_name: first,
    last_name: last,
    email: emailFor(first, last),
    department,
    title,
    manager_id: managerId,
    status: "active",
    start_date: date(),
    city: pick(cities)
  }
  rows.push(row)
  return row
}

const ceo = person("Operations", "Chief Executive Officer", "")
const heads = {}
for (const dept of Object.keys(departments)) heads[dept] = person(dept, `Head of ${dept}`, ceo.employee_id)
const deptNames = Object.keys(departments)
while (rows.length < count) {
  const dept = pick(deptNames)
  const peers = rows.filter((r) => r.department === dept && r.employee_id !== heads[dept].employee_id)
  // a quarter of the people report to a team lead in their department, the rest to its head
  const manager = peers.length > 3 && random() < 0.25 ? pick(peers).employee_id : heads[dept].employee_id
  person(dept, pick(departments[dept]), manager)
}

// Terminated people: kept in the export (as HR systems do), excluded by the config's filter.
for (let i = 0; i < 8; i++) pick(rows.slice(15)).status = "terminated"
// People on leave stay in Okta.
for (let i = 0; i < 6; i++) {
  const r = pick(rows.slice(15))
  if (r.status === "active") r.status = "leave"
}

// The deliberately invalid rows (positions are fixed by the seed; anysource reports their lines).
const invalid = rows.slice(40, 300).filter((r) => r.status === "active")
invalid[3].email = `${ascii(invalid[3].first_name)}(at)example.com` // not an email
invalid[27].last_name = "" // missing last name
invalid[61].email = `${"the.person.with.an.extremely.long.login.name.that.okta.will.refuse".repeat(2)}@example.com` // userName > 100
invalid[95].email = "" // missing email

const columns = ["employee_id", "first_name", "last_name", "email", "department", "title", "manager_id", "status", "start_date", "city"]
const cell = (v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
const text = [columns.join(","), ...rows.map((r) => columns.map((c) => cell(r[c])).join(","))].join("\n") + "\n"
writeFileSync(out, text)
process.stdout.write(`wrote ${rows.length} employees to ${out}\n`)
