// The public entry of mcpo's config: `defineConfig` and the built-in plugin and storage factories.

export { apiKeys } from '../plugins/api-keys/index.ts'
export { type AuditOptions, audit } from '../plugins/audit/index.ts'
export type { McpoPlugin, PluginContext } from '../plugins/contract.ts'
export { type MetricsOptions, metrics } from '../plugins/metrics/index.ts'
export { type NextAuthJwtOptions, nextAuthJwt } from '../plugins/next-auth/index.ts'
export { type OidcOptions, oidc } from '../plugins/oidc/index.ts'
export { rateLimits } from '../plugins/rate-limit/index.ts'
export { toolPolicies } from '../plugins/rbac/policies.ts'
export { sessions } from '../plugins/sessions/index.ts'
export { embeddedStorage, postgresStorage } from '../plugins/storage/index.ts'
export { defaultPlugins } from './default-plugins.ts'
export { defineConfig, type ResolvedConfig, type UserConfig } from './define-config.ts'
