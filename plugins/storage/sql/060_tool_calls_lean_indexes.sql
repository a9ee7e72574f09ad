-- Every tool call is a row, so each index on tool_calls is paid on every call: on the embedded store each B-tree
-- entry costs several microseconds of the gateway's own CPU. Keep the two B-trees the Activity log pages through
-- (a project's calls by id, and one tool's calls) and a BRIN on created_at, which costs next to nothing to maintain
-- because rows arrive in time order; retention pruning and time-window stats narrow by block range with it.
-- Session and time filters within a project walk the project's newest calls, where those rows are.
DROP INDEX tool_calls_project_idx;
DROP INDEX tool_calls_session_idx;
DROP INDEX tool_calls_created_idx;
DROP INDEX tool_calls_project_created_idx;
ALTER TABLE tool_calls DROP CONSTRAINT tool_calls_pkey;
ALTER TABLE tool_calls ADD CONSTRAINT tool_calls_pkey PRIMARY KEY (project_id, id);
CREATE INDEX tool_calls_created_brin ON tool_calls USING brin (created_at);
