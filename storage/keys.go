package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// KeyVersion is one encryption key version: how to re-derive it from the
// configured key material and how to recognise it. Never the key itself.
type KeyVersion struct {
	Version     int
	Fingerprint string
	KDF         string // "fernet" or "pbkdf2-sha256"
	Salt        []byte // pbkdf2-sha256 only
	Iterations  int    // pbkdf2-sha256 only
	Active      bool
	CreatedAt   time.Time
}

// KDF names stored in encryption_keys.kdf.
const (
	KDFFernet = "fernet"
	KDFPBKDF2 = "pbkdf2-sha256"
)

// secretTable says where encrypted values live. Rotation and the usage counts
// walk this list, so a new table of secrets is covered by adding it here.
type secretTable struct {
	name    string   // table
	key     string   // primary key column
	version string   // column naming the key version of the row's tokens
	columns []string // columns holding Fernet tokens ("" or NULL when unset)
	where   string   // which rows hold encrypted values
	org     string   // column naming the row's organization, for its audit row
	action  string   // audit action written for each row re-encrypted
	// instance marks a table of the instance's own secrets: its audit rows
	// name no organization or workspace.
	instance bool
}

var secretTables = []secretTable{{
	name:    "installations",
	key:     "workspace_id",
	version: "encryption_version",
	columns: []string{"bot_token_encrypted", "app_token_encrypted", "signing_secret_encrypted"},
	where:   "credentials_encrypted = 1",
	org:     "org_id",
	action:  "credentials.rotate",
}, {
	name:     "instance_llm",
	key:      "id",
	version:  "encryption_version",
	columns:  []string{"api_key_encrypted"},
	where:    "api_key_encrypted IS NOT NULL",
	org:      "0",
	action:   "instance.llm.rotate",
	instance: true,
}}

// KeyVersions lists every key version, oldest first.
func (s *Store) KeyVersions(ctx context.Context) ([]KeyVersion, error) {
	return keyVersions(ctx, s.read)
}

// KeyVersions lists every key version, oldest first, as this transaction
// sees them: what another process recorded before it began included.
func (tx *Tx) KeyVersions(ctx context.Context) ([]KeyVersion, error) {
	return keyVersions(ctx, tx.tx)
}

func keyVersions(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]KeyVersion, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT version, fingerprint, kdf, salt, coalesce(iterations, 0), active, created_at
		 FROM encryption_keys ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("storage: key versions: %w", err)
	}
	defer rows.Close()
	var out []KeyVersion
	for rows.Next() {
		var k KeyVersion
		var created string
		if err := rows.Scan(&k.Version, &k.Fingerprint, &k.KDF, &k.Salt, &k.Iterations, &k.Active, &created); err != nil {
			return nil, fmt.Errorf("storage: key versions: %w", err)
		}
		if k.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// AddKeyVersion records a new, inactive key version numbered after the
// newest one and returns its number.
func (tx *Tx) AddKeyVersion(ctx context.Context, k KeyVersion) (int, error) {
	var salt any
	var iterations sql.NullInt64
	if k.KDF == KDFPBKDF2 {
		salt, iterations = k.Salt, sql.NullInt64{Int64: int64(k.Iterations), Valid: true}
	}
	var version int
	err := tx.tx.QueryRowContext(ctx, `
		INSERT INTO encryption_keys (version, fingerprint, kdf, salt, iterations)
		VALUES ((SELECT coalesce(max(version), 0) + 1 FROM encryption_keys), ?, ?, ?, ?)
		RETURNING version`, k.Fingerprint, k.KDF, salt, iterations).Scan(&version)
	if err != nil {
		return 0, fmt.Errorf("storage: add key version: %w", err)
	}
	return version, nil
}

// ActivateKeyVersion makes version the one new secrets are encrypted with.
func (tx *Tx) ActivateKeyVersion(ctx context.Context, version int) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE encryption_keys SET active = 0 WHERE active = 1 AND version <> ?`, version); err != nil {
		return fmt.Errorf("storage: activate key version %d: %w", version, err)
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE encryption_keys SET active = 1 WHERE version = ?`, version)
	if err != nil {
		return fmt.Errorf("storage: activate key version %d: %w", version, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: key version %d: %w", version, ErrNotFound)
	}
	return nil
}

// KeyUsage counts, per key version and table, the rows holding secrets
// encrypted with that version.
type KeyUsage struct {
	Version int
	Table   string
	Rows    int
}

// KeyUsage returns how many rows of each secret table use each key version.
func (s *Store) KeyUsage(ctx context.Context) ([]KeyUsage, error) {
	var out []KeyUsage
	for _, t := range secretTables {
		rows, err := s.read.QueryContext(ctx, fmt.Sprintf(
			`SELECT %s, count(*) FROM %s WHERE %s GROUP BY 1 ORDER BY 1`, t.version, t.name, t.where))
		if err != nil {
			return nil, fmt.Errorf("storage: key usage of %s: %w", t.name, err)
		}
		for rows.Next() {
			u := KeyUsage{Table: t.name}
			if err := rows.Scan(&u.Version, &u.Rows); err != nil {
				rows.Close()
				return nil, fmt.Errorf("storage: key usage of %s: %w", t.name, err)
			}
			out = append(out, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("storage: key usage of %s: %w", t.name, err)
		}
	}
	return out, nil
}

// SampleSecret returns one stored token and its key version, to check a key
// against data that predates the key versions table; ErrNotFound if none.
func (s *Store) SampleSecret(ctx context.Context) (token string, version int, err error) {
	for _, t := range secretTables {
		for _, c := range t.columns {
			err := s.read.QueryRowContext(ctx, fmt.Sprintf(
				`SELECT %s, %s FROM %s WHERE %s AND coalesce(%s, '') <> '' LIMIT 1`, c, t.version, t.name, t.where, c)).
				Scan(&token, &version)
			if err == nil {
				return token, version, nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return "", 0, fmt.Errorf("storage: sample secret: %w", err)
			}
		}
	}
	return "", 0, ErrNotFound
}

// Reencrypt replaces every stored secret with recrypt's result, sets the
// rows' key version to version and writes an audit row for each row by actor,
// counting the values changed per table. It is meant to run in the same
// transaction as AddKeyVersion and ActivateKeyVersion, so that any error
// leaves everything as it was.
func (tx *Tx) Reencrypt(ctx context.Context, version int, actor string, recrypt func(token string, version int) (string, error)) (map[string]int, error) {
	counts := map[string]int{}
	for _, t := range secretTables {
		n, err := tx.reencryptTable(ctx, t, version, actor, recrypt)
		if err != nil {
			return nil, err
		}
		counts[t.name] = n
	}
	return counts, nil
}

func (tx *Tx) reencryptTable(ctx context.Context, t secretTable, version int, actor string, recrypt func(string, int) (string, error)) (int, error) {
	cols := make([]string, len(t.columns))
	for i, c := range t.columns {
		cols[i] = "coalesce(" + c + ", '')"
	}
	rows, err := tx.tx.QueryContext(ctx, fmt.Sprintf(`SELECT %s, %s, %s, %s FROM %s WHERE %s`,
		t.key, t.org, t.version, strings.Join(cols, ", "), t.name, t.where))
	if err != nil {
		return 0, fmt.Errorf("storage: read secrets of %s: %w", t.name, err)
	}
	type row struct {
		key     string
		org     int64
		version int
		values  []string
	}
	var all []row
	for rows.Next() {
		r := row{values: make([]string, len(t.columns))}
		dest := []any{&r.key, &r.org, &r.version}
		for i := range r.values {
			dest = append(dest, &r.values[i])
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return 0, fmt.Errorf("storage: read secrets of %s: %w", t.name, err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("storage: read secrets of %s: %w", t.name, err)
	}

	sets := make([]string, len(t.columns))
	for i, c := range t.columns {
		sets[i] = c + " = ?"
	}
	update := fmt.Sprintf(`UPDATE %s SET %s, %s = ? WHERE %s = ?`, t.name, strings.Join(sets, ", "), t.version, t.key)
	count := 0
	for _, r := range all {
		args := make([]any, 0, len(t.columns)+2)
		for _, v := range r.values {
			if v == "" {
				args = append(args, nil)
				continue
			}
			nv, err := recrypt(v, r.version)
			if err != nil {
				return 0, fmt.Errorf("storage: re-encrypt %s %v: %w", t.name, r.key, err)
			}
			args = append(args, nv)
			count++
		}
		args = append(args, version, r.key)
		if _, err := tx.tx.ExecContext(ctx, update, args...); err != nil {
			return 0, fmt.Errorf("storage: re-encrypt %s %v: %w", t.name, r.key, err)
		}
		ws := r.key
		if t.instance {
			ws = ""
		}
		err := tx.AddAudit(ctx, AuditEntry{OrgID: r.org, WorkspaceID: ws, Actor: actor, Action: t.action,
			Detail: map[string]any{"from_version": r.version, "to_version": version}})
		if err != nil {
			return 0, err
		}
	}
	return count, nil
}
