/** Deterministic people for the fake HR APIs. */
export interface Person {
  readonly id: string
  readonly email: string
  readonly first_name: string
  readonly last_name: string
  readonly department: string
  readonly manager: { readonly id: string | null }
}

const firstNames = ["Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia"]
const lastNames = ["Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Perlman"]
const departments = ["Engineering", "Finance", "People", "Sales"]

export const people = (count: number): ReadonlyArray<Person> =>
  Array.from({ length: count }, (_, i) => {
    const first = firstNames[i % firstNames.length]!
    const last = lastNames[Math.floor(i / firstNames.length) % lastNames.length]!
    return {
      id: `E${String(i + 1).padStart(4, "0")}`,
      email: `${first}.${last}${i}@example.com`.toLowerCase(),
      first_name: first,
      last_name: last,
      department: departments[i % departments.length]!,
      manager: { id: i === 0 ? null : "E0001" }
    }
  })
