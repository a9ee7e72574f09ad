// `defineConfig`: the typed shape of mcpo.config.ts. It adds types only; validation happens once at boot.
import type { McpoPlugin } from '../plugins/contract.ts'
import type { StorageFactory } from '../plugins/storage/index.ts'
import type { ConfigInput, ConfigOutput } from './schema.ts'

/** What a deployment writes in mcpo.config.ts. Every field is optional; `npm start` works with `{}`. */
export type UserConfig = Omit<ConfigInput, 'plugins' | 'storage'> & {
  plugins?: McpoPlugin[]
  storage?: StorageFactory
}

/** The validated, defaulted and deep-frozen config the gateway runs with. */
export type ResolvedConfig = Readonly<
  Omit<ConfigOutput, 'plugins' | 'storage'> & {
    plugins: readonly McpoPlugin[]
    storage: StorageFactory
    /** Absolute path of the data directory (key file, embedded database). */
    dataDir: string
    /** The file the config came from, or null for built-in defaults. */
    configPath: string | null
  }
>

/**
 * Types a config file.
 * @example export default defineConfig({ listen: { port: 8080 }, plugins: [apiKeys()] })
 */
export function defineConfig(config: UserConfig): UserConfig {
  return config
}
