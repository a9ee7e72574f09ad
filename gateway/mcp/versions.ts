// MCP protocol versions mcpo speaks to clients, and how a requested version is negotiated (protocol.md §1).

/** Newest first. mcpo is an initialize-era server on both transports. */
export const SUPPORTED_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const
export const LATEST_VERSION = SUPPORTED_VERSIONS[0]
/** What the spec says to assume when a Streamable request carries no version header and none was negotiated. */
export const DEFAULT_NEGOTIATED_VERSION = '2025-03-26'

const supported = new Set<string>(SUPPORTED_VERSIONS)

export function isSupportedVersion(v: string): boolean {
  return supported.has(v)
}

/** The requested version when supported, else the latest (the client disconnects if it cannot use it). */
export function negotiateVersion(requested: unknown): string {
  return typeof requested === 'string' && supported.has(requested) ? requested : LATEST_VERSION
}

/** Batches exist only in 2025-03-26 (removed in 2025-06-18). */
export function allowsBatches(version: string): boolean {
  return version === '2025-03-26'
}
