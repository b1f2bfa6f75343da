/**
 * Bearer-token check for the run API. Both sides are hashed (SHA-256) before a constant-time
 * comparison, so neither the token's content nor its length leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { Redacted } from "effect"

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest()

/** The token in an `Authorization: Bearer <token>` header, if that is what the header holds. */
export const bearerToken = (header: string | undefined): string | undefined => {
  if (header === undefined) return undefined
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header)
  return match?.[1]
}

export const isAuthorized = (header: string | undefined, expected: Redacted.Redacted<string>): boolean => {
  const given = bearerToken(header)
  // hash something even when the header is missing, so a missing header costs the same as a wrong one
  const ok = timingSafeEqual(digest(given ?? ""), digest(Redacted.value(expected)))
  return ok && given !== undefined
}
