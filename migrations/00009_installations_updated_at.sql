-- installations.updated_at moves on every change, kept by a trigger as
-- org_settings' is, so no statement can forget it (key rotation did).

-- +goose Up
-- +goose StatementBegin
CREATE TRIGGER installations_updated_at AFTER UPDATE ON installations
FOR EACH ROW WHEN new.updated_at = old.updated_at BEGIN
    UPDATE installations SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE workspace_id = new.workspace_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER installations_updated_at;
