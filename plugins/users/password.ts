// Password hashing with argon2id (@node-rs/argon2). Parameters follow OWASP's minimum for argon2id:
// 19 MiB of memory, 2 iterations, 1 lane; about 20 ms per hash on one core here.
import { type Algorithm, hash, verify } from '@node-rs/argon2'

export const ARGON2_PARAMS = Object.freeze({
  // `Algorithm` is a const enum; 2 is Argon2id.
  algorithm: 2 as Algorithm,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
})

export const MIN_PASSWORD_LENGTH = 12

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_PARAMS)
}

/** False for a wrong password or a malformed hash; never throws for bad input. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password)
  } catch {
    return false
  }
}

/** A reason the password is too weak, or null. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`
  if (password.length > 1024) return 'must be at most 1024 characters'
  return null
}

/** A hash to verify against when the account does not exist, so timing does not reveal which emails exist. */
let dummy: Promise<string> | null = null
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword('mcpo-dummy-password-for-timing')
  return dummy
}
