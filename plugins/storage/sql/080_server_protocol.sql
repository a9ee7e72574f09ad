-- The MCP protocol era a server is spoken to in: 'auto' probes with `server/discover` and falls back to initialize,
-- 'legacy' is the 2025 era (initialize and sessions), 'modern' the stateless 2026-07-28 revision. NULL means the
-- gateway's default (`upstreams.protocol`). Legacy SSE servers can only be 'legacy'; the API and config refuse more.
ALTER TABLE servers ADD COLUMN protocol text CHECK (protocol IN ('auto', 'legacy', 'modern'));
