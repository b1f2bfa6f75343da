// Loaded with `node --import` (NODE_OPTIONS) by StartUp.int.test.ts: every module the process resolves is
// appended, as a URL, to the file named by ANYSOURCE_TEST_LOADS_OUT.
import { register } from "node:module"

const hooks = `
import { appendFileSync } from "node:fs"
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  if (process.env.ANYSOURCE_TEST_LOADS_OUT) appendFileSync(process.env.ANYSOURCE_TEST_LOADS_OUT, resolved.url + "\\n")
  return resolved
}
`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)
