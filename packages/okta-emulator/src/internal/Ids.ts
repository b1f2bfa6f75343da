import { randomInt } from "node:crypto"

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const randomChars = (length: number): string => {
  let out = ""
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)]
  return out
}

/**
 * Okta-style 20-character object ids: `aps…` sessions, `00u…` Okta users, `0ua…` identity-source users (what the
 * Identity Sources API answers for a user on a real org), `00g…` groups, `0oa…` apps.
 */
export const oktaId = (prefix: "aps" | "00u" | "0ua" | "00g" | "0oa"): string => prefix + randomChars(20 - prefix.length)

/** `errorId` values look like `oae` followed by 22 characters. */
export const errorId = (): string => "oae" + randomChars(22)

/** `X-Okta-Request-Id` values. */
export const requestId = (): string => randomChars(27)

/** Opaque random strings (nonces, jti). */
export const opaque = (length = 32): string => randomChars(length)

/** Okta timestamps: ISO-8601 UTC with a zero millisecond part (`…:05.000Z`). */
export const oktaTime = (epochMs: number): string => new Date(Math.floor(epochMs / 1000) * 1000).toISOString()
