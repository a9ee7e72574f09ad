// The version mcpo reports in serverInfo and the OpenAPI document.
export const GATEWAY_VERSION = '0.1.0'
