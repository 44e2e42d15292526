-- Indexes for reading the audit log newest first by the filters an admin
-- uses: the organization, with an action or a workspace. Each ends with
-- audit_id, so SQLite walks the entries in order and stops at the limit
-- instead of sorting them. They replace (org_id, created_at), which no query
-- reads in that order.

-- +goose Up
DROP INDEX audit_log_org_created;
CREATE INDEX audit_log_org ON audit_log (org_id, audit_id);
CREATE INDEX audit_log_org_action ON audit_log (org_id, action, audit_id);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, audit_id);

-- +goose Down
DROP INDEX audit_log_workspace;
DROP INDEX audit_log_org_action;
DROP INDEX audit_log_org;
CREATE INDEX audit_log_org_created ON audit_log (org_id, created_at);
