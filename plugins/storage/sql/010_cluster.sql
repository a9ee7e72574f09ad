-- Scale-out (gateway/cluster): the nodes table of 001 is the registry; a lease names the one node that runs a
-- shared stdio upstream. A lease whose expiry passed (its node stopped renewing) may be taken by any node.
CREATE TABLE cluster_leases (
  project_id text NOT NULL,
  server_name text NOT NULL,
  node_id text NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (project_id, server_name)
);

CREATE INDEX cluster_leases_node ON cluster_leases (node_id);
CREATE INDEX nodes_heartbeat ON nodes (heartbeat_at);
