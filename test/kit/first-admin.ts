// The first administrator, made the way the first-run page makes it: with the gateway's one-time set-up token.

export interface FirstAdmin {
  /** A session token of the new account. */
  token: string
  user: { id: string; email: string; name: string }
}

export async function setUpAdmin(
  gw: { url: string; gateway: { setupToken: string | null } },
  password: string,
  who: { email?: string; name?: string } = {},
): Promise<FirstAdmin> {
  const res = await fetch(`${gw.url}/api/auth/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      token: gw.gateway.setupToken,
      email: who.email ?? 'admin@example.com',
      name: who.name ?? 'Admin',
      password,
    }),
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`first-run set-up failed: ${res.status} ${text}`)
  return JSON.parse(text) as FirstAdmin
}
