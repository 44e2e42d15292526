package keys

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"lore/app/vault"
	"lore/storage"
)

// RotationAdvice is the age past which a key should be rotated (the
// original system's advice).
const RotationAdvice = 90 * 24 * time.Hour

// Loaded is the result of Load: the keyring and what could not be loaded.
type Loaded struct {
	Keyring *vault.Keyring
	// Problems name each key version the configured key does not open,
	// e.g. "ENCRYPTION_KEY does not match key version 2 used by 3 workspaces".
	Problems []string
}

// Load reads the key material once, derives the key of every key version
// still in use (a passphrase is stretched once per process, here), checks
// each against its stored fingerprint and returns the keyring. On a first
// run it records the key as version 1. A key that does not match is not an
// error: that version is marked unavailable, named in Problems and logged,
// and everything that needs no secret keeps working.
func Load(ctx context.Context, store *storage.Store, src Source, logger *slog.Logger) (*Loaded, error) {
	versions, err := store.KeyVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	// A development key is generated on a first run only: once versions are
	// recorded, a new key would open nothing, and a missing one is reported.
	m, err := src.Material(len(versions) == 0)
	missing := errors.Is(err, ErrNoKey)
	if err != nil && !missing {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if m.Generated {
		logger.Warn("development setup: no ENCRYPTION_KEY or ENCRYPTION_KEY_FILE, so secrets are encrypted with a key generated in the data directory; keep that key apart from database backups and set ENCRYPTION_KEY_FILE for production",
			"key_file", m.Origin)
	}
	if len(versions) == 0 {
		return firstRun(ctx, store, src, m, logger)
	}
	candidates := []Material{m}
	if m.Generated {
		// A rotation writes the new development key beside the old one
		// before its commit; the database says which of the two is in use.
		if next, err := ReadKeyFile(src.nextKeyPath()); err == nil {
			candidates = append(candidates, Material{Secret: normalize(next), Origin: src.nextKeyPath(), Generated: true})
		}
	}
	loaded, onlyNext, err := load(ctx, store, versions, candidates, missing, logger)
	if err == nil && onlyNext {
		promoteNextKey(src, logger)
	}
	return loaded, err
}

// load derives and checks the key of each recorded version from the first
// of candidates that matches its fingerprint (missing: no key material is
// configured at all). onlyNext reports that the second candidate, a
// rotation's new development key, opens the active version and the first
// one opens nothing still in use.
func load(ctx context.Context, store *storage.Store, versions []storage.KeyVersion, candidates []Material, missing bool, logger *slog.Logger) (_ *Loaded, onlyNext bool, _ error) {
	m := candidates[0]
	usage, err := usageByVersion(ctx, store)
	if err != nil {
		return nil, false, err
	}
	ring := vault.NewKeyring()
	loaded := &Loaded{Keyring: ring}
	if missing {
		for _, v := range versions {
			if !v.Active && usage[v.Version].total() == 0 {
				continue
			}
			problem := fmt.Sprintf("no encryption key is configured (set ENCRYPTION_KEY or ENCRYPTION_KEY_FILE): key version %d%s cannot be opened", v.Version, usage[v.Version].describe())
			loaded.Problems = append(loaded.Problems, problem)
			ring.MarkUnavailable(v.Version, errors.New(problem))
			logger.Error("no encryption key: stored secrets cannot be read", "problem", problem)
		}
		return loaded, false, nil
	}
	active, activeFromNext, firstInUse := 0, false, false
	for _, v := range versions {
		if v.Active {
			active = v.Version
		}
		if !v.Active && usage[v.Version].total() == 0 {
			continue // nothing to open with it: skip the derivation
		}
		key, from := matchingKey(candidates, v)
		switch {
		case key != nil && from == 0:
			firstInUse = true
		case key != nil && v.Active:
			activeFromNext = true
		}
		if key == nil {
			problem := fmt.Sprintf("%s does not match key version %d%s", originName(m), v.Version, usage[v.Version].describe())
			loaded.Problems = append(loaded.Problems, problem)
			ring.MarkUnavailable(v.Version, errors.New(problem))
			logger.Error("encryption key mismatch: secrets of this key version cannot be read", "problem", problem)
			continue
		}
		ring.Add(v.Version, key)
	}
	if active != 0 {
		if err := ring.SetActive(active); err != nil {
			logger.Error("no usable active encryption key: new secrets cannot be stored", "version", active)
		}
	}
	return loaded, activeFromNext && !firstInUse, nil
}

// matchingKey derives v's key from the first candidate whose key matches
// v's fingerprint, and returns it with that candidate's index; nil if none.
func matchingKey(candidates []Material, v storage.KeyVersion) (*vault.Key, int) {
	for i, c := range candidates {
		key, err := derive(c.Secret, v)
		if err == nil && sameFingerprint(key.Fingerprint(), v.Fingerprint) {
			return key, i
		}
		if key != nil {
			key.Destroy()
		}
	}
	return nil, -1
}

// promoteNextKey gives a rotation's new development key the usual name,
// replacing the old key, which opens nothing still in use, and returns the
// path that holds the new key. A rotation does it right after its commit; a
// start does it when the rotation was stopped before (another process may
// have done it first: that is fine).
func promoteNextKey(src Source, logger *slog.Logger) string {
	err := os.Rename(src.nextKeyPath(), src.DevKeyPath())
	switch {
	case err == nil:
		logger.Info("the development key file now holds the key of the last rotation", "key_file", src.DevKeyPath())
	case !errors.Is(err, fs.ErrNotExist):
		logger.Warn("could not replace the old development key file; both stay and starts use the one the database names",
			"key_file", src.DevKeyPath(), slog.Any("error", err))
		return src.nextKeyPath()
	}
	return src.DevKeyPath()
}

// firstRun records the configured key as the first key version. If secrets are already
// stored (a database from the original system), the key must open one of
// them first, so a wrong key is never recorded as the right one.
func firstRun(ctx context.Context, store *storage.Store, src Source, m Material, logger *slog.Logger) (*Loaded, error) {
	kdfName, kdf, err := src.kdfFor(m.Secret)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	key, err := vault.ParseKey(m.Secret, kdf)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", originName(m), err)
	}
	ring := vault.NewKeyring()
	if token, _, err := store.SampleSecret(ctx); err == nil {
		if _, derr := key.Decrypt(token); derr != nil {
			key.Destroy()
			usage, uerr := usageByVersion(ctx, store)
			if uerr != nil {
				return nil, uerr
			}
			problem := fmt.Sprintf("%s does not decrypt the stored secrets%s (check ENCRYPTION_SALT and ENCRYPTION_ITERATIONS for a passphrase)", originName(m), usage[1].describe())
			ring.MarkUnavailable(1, errors.New(problem))
			logger.Error("encryption key mismatch: stored secrets cannot be read", "problem", problem)
			return &Loaded{Keyring: ring, Problems: []string{problem}}, nil
		}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("keys: %w", err)
	}
	// Another process starting at the same time may have recorded its key
	// since Load read the versions: the check and the record are one
	// transaction, so exactly one of them records a version.
	var version int
	var recorded []storage.KeyVersion
	err = store.Tx(ctx, func(tx *storage.Tx) error {
		var err error
		if recorded, err = tx.KeyVersions(ctx); err != nil || len(recorded) > 0 {
			return err
		}
		if version, err = tx.AddKeyVersion(ctx, storage.KeyVersion{Fingerprint: key.Fingerprint(), KDF: kdfName, Salt: kdf.Salt, Iterations: kdf.Iterations}); err != nil {
			return err
		}
		return tx.ActivateKeyVersion(ctx, version)
	})
	if err != nil {
		key.Destroy()
		return nil, fmt.Errorf("keys: record the first key version: %w", err)
	}
	if len(recorded) > 0 {
		// Loaded like any later start: the same key matches the version's
		// fingerprint; a different one is named as not matching it.
		key.Destroy()
		logger.Info("another lore recorded the first key version meanwhile", "version", recorded[len(recorded)-1].Version)
		loaded, _, err := load(ctx, store, recorded, []Material{m}, false, logger)
		return loaded, err
	}
	ring.Add(version, key)
	if err := ring.SetActive(version); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	logger.Info("recorded encryption key version", "version", version, "kdf", kdfName, "key_from", m.Origin)
	return &Loaded{Keyring: ring}, nil
}

// derive re-creates a key version's key from material.
func derive(material string, v storage.KeyVersion) (*vault.Key, error) {
	if v.KDF == storage.KDFFernet && !vault.IsFernetKey(material) {
		return nil, errors.New("not a Fernet key")
	}
	return vault.ParseKey(material, vault.KDF{Salt: v.Salt, Iterations: v.Iterations})
}

func sameFingerprint(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func originName(m Material) string {
	if m.Generated {
		return "the key file " + m.Origin
	}
	return m.Origin
}

// tableUsage counts rows per secret table for one key version.
type tableUsage map[string]int

func (u tableUsage) total() int {
	n := 0
	for _, c := range u {
		n += c
	}
	return n
}

// describe reads " used by 3 workspaces" (or "" when nothing uses it).
func (u tableUsage) describe() string {
	if u.total() == 0 {
		return ""
	}
	names := make([]string, 0, len(u))
	for t := range u {
		names = append(names, t)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(u))
	for _, t := range names {
		parts = append(parts, plural(u[t], rowNoun(t)))
	}
	return " used by " + strings.Join(parts, " and ")
}

// rowNoun names what a row of a secret table is to a person.
func rowNoun(table string) string {
	if table == "installations" {
		return "workspace"
	}
	return table + " row"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func usageByVersion(ctx context.Context, store *storage.Store) (map[int]tableUsage, error) {
	list, err := store.KeyUsage(ctx)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	out := map[int]tableUsage{}
	for _, u := range list {
		if out[u.Version] == nil {
			out[u.Version] = tableUsage{}
		}
		out[u.Version][u.Table] += u.Rows
	}
	return out, nil
}
