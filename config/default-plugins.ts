// The plugins a config gets when it leaves `plugins` out, and the checks that a config's plugins can do what the
// rest of it asks for (declared keys need a key checker, password sign-in needs sessions).
import { apiKeys } from '../plugins/api-keys/index.ts'
import { audit } from '../plugins/audit/index.ts'
import { API_KEYS_SERVICE, type McpoPlugin, SESSIONS_SERVICE, type ServiceKey } from '../plugins/contract.ts'
import { metrics } from '../plugins/metrics/index.ts'
import { rateLimits } from '../plugins/rate-limit/index.ts'
import { toolPolicies } from '../plugins/rbac/policies.ts'
import { sessions } from '../plugins/sessions/index.ts'

/**
 * The shipped deployment's plugins, the same the root mcpo.config.ts lists: sign-in sessions, project API keys,
 * tool policies, rate limits, the audit trail and `/metrics` (its bearer token from `MCPO_METRICS_TOKEN`).
 * @example plugins: [...defaultPlugins(), oidc({ issuer, clientId, clientSecret })]
 */
export function defaultPlugins(env: Readonly<Partial<Record<string, string | undefined>>> = process.env): McpoPlugin[] {
  return [
    sessions(),
    apiKeys(),
    toolPolicies(),
    rateLimits(),
    audit(),
    metrics({ bearerToken: env.MCPO_METRICS_TOKEN }),
  ]
}

const offers = (plugins: readonly McpoPlugin[], key: ServiceKey<unknown>) =>
  plugins.some((p) => p.provides?.some((o) => o.key.id === key.id))

const FIX = 'to plugins in mcpo.config.ts (or leave plugins out for the default set)'

/** What the config asks for that none of its plugins provides, one line per problem in the config's own terms. */
export function pluginProblems(
  plugins: readonly McpoPlugin[],
  config: {
    projects: readonly { id: string; apiKeys: readonly unknown[] }[]
    admin: { email?: string; password?: string }
  },
): string[] {
  const problems: string[] = []
  if (!offers(plugins, API_KEYS_SERVICE)) {
    for (const [i, p] of config.projects.entries()) {
      if (p.apiKeys.length > 0) {
        problems.push(
          `projects[${i}].apiKeys: project "${p.id}" declares keys, but no plugin checks them, so every call with ` +
            `them would be refused: add ${API_KEYS_SERVICE.offeredBy} ${FIX}`,
        )
      }
    }
  }
  if (config.admin.email && config.admin.password && !offers(plugins, SESSIONS_SERVICE)) {
    problems.push(
      `admin (MCPO_ADMIN_EMAIL, MCPO_ADMIN_PASSWORD): the admin signs in with a password, which needs ` +
        `${SESSIONS_SERVICE.offeredBy}: add it ${FIX}`,
    )
  }
  return problems
}
