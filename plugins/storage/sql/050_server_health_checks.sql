-- Periodic health probes (issue 17 point 5): a server's own probe interval in ms; 0 turns probes off for it, NULL
-- means the gateway's default (`upstreams.healthCheckIntervalMs`).
ALTER TABLE servers ADD COLUMN health_check_interval_ms integer;
