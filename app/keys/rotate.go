package keys

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"lore/app/vault"
	"lore/storage"
)

// RotateResult says what a rotation did.
type RotateResult struct {
	From, To int            // key versions
	Counts   map[string]int // values re-encrypted, per table
	// KeyFile is the development key file that now holds the new key: the
	// usual one, or if replacing it failed, the one beside it (starts use
	// whichever the database names). Empty for a key configured elsewhere.
	KeyFile string
}

// Rotate re-encrypts every secret in the database with newMaterial (a Fernet
// key or a passphrase, which gets a random salt), records it as a new key
// version and makes it active, all in one transaction: an error or a crash
// leaves the database exactly as it was. The current key must open every
// stored secret. A development key file gets the new key beside it before
// the commit, and the new key takes the old one's name after it, so that no
// crash leaves the secrets under a key that is on no disk. The server must
// not be running (it would keep encrypting
// with the old version); the caller holds the data directory's lock.
func Rotate(ctx context.Context, store *storage.Store, current Source, newMaterial string, logger *slog.Logger) (RotateResult, error) {
	return rotate(ctx, store, current, newMaterial, logger, nil)
}

// rotate is Rotate; a test's afterCommit stands for a crash right after the
// commit: when it returns an error, rotate stops there and returns it.
func rotate(ctx context.Context, store *storage.Store, current Source, newMaterial string, logger *slog.Logger, afterCommit func() error) (RotateResult, error) {
	newMaterial = normalize(newMaterial)
	if newMaterial == "" {
		return RotateResult{}, errors.New("keys: rotate: no new key: set ENCRYPTION_KEY_NEW or pass --new-key-file")
	}
	m, err := current.Material(false)
	if err != nil {
		return RotateResult{}, fmt.Errorf("keys: rotate: current key: %w", err)
	}
	loaded, err := Load(ctx, store, current, logger)
	if err != nil {
		return RotateResult{}, err
	}
	ring := loaded.Keyring
	defer ring.Destroy()
	if len(loaded.Problems) > 0 {
		return RotateResult{}, fmt.Errorf("keys: rotate: the current key cannot open every secret: %s", loaded.Problems[0])
	}
	if subtle.ConstantTimeCompare([]byte(newMaterial), []byte(m.Secret)) == 1 {
		return RotateResult{}, errors.New("keys: rotate: the new key is the key already in use")
	}
	from, oldKey, err := ring.Active()
	if err != nil {
		return RotateResult{}, fmt.Errorf("keys: rotate: %w", err)
	}

	kdfName, kdf, err := Source{Iterations: current.Iterations}.kdfFor(newMaterial)
	if err != nil {
		return RotateResult{}, fmt.Errorf("keys: rotate: %w", err)
	}
	newKey, err := vault.ParseKey(newMaterial, kdf)
	if err != nil {
		return RotateResult{}, fmt.Errorf("keys: rotate: new key: %w", err)
	}
	defer newKey.Destroy()
	if sameFingerprint(newKey.Fingerprint(), oldKey.Fingerprint()) {
		return RotateResult{}, errors.New("keys: rotate: the new key is the key already in use")
	}

	if m.Generated {
		// The new key reaches the disk before the database depends on it.
		if err := writeKeyFile(current.nextKeyPath(), newMaterial); err != nil {
			return RotateResult{}, fmt.Errorf("keys: rotate: nothing changed: %w", err)
		}
	}
	res := RotateResult{From: from}
	err = store.Tx(ctx, func(tx *storage.Tx) error {
		to, err := tx.AddKeyVersion(ctx, storage.KeyVersion{Fingerprint: newKey.Fingerprint(), KDF: kdfName, Salt: kdf.Salt, Iterations: kdf.Iterations})
		if err != nil {
			return err
		}
		res.To = to
		res.Counts, err = tx.Reencrypt(ctx, to, "cli", func(token string, version int) (string, error) {
			plain, err := ring.Decrypt(token, version)
			if err != nil {
				return "", err
			}
			fresh, err := newKey.Encrypt(plain)
			if err != nil {
				return "", err
			}
			if check, err := newKey.Decrypt(fresh); err != nil || check != plain {
				return "", errors.New("keys: rotate: a re-encrypted value did not decrypt to the original")
			}
			return fresh, nil
		})
		if err != nil {
			return err
		}
		if err := tx.ActivateKeyVersion(ctx, to); err != nil {
			return err
		}
		detail := map[string]any{"from_version": from, "to_version": to}
		for t, n := range res.Counts {
			detail[t] = n
		}
		return tx.AddAudit(ctx, storage.AuditEntry{Actor: "cli", Action: "keys.rotate", Detail: detail})
	})
	if err != nil {
		if m.Generated {
			os.Remove(current.nextKeyPath())
		}
		// Recorded even when the failure is an interrupt that cancelled ctx.
		if aerr := store.AddAudit(context.WithoutCancel(ctx), storage.AuditEntry{Actor: "cli", Action: "keys.rotate", Outcome: "failed"}); aerr != nil {
			logger.Error("could not audit the failed rotation", slog.Any("error", aerr))
		}
		return RotateResult{}, fmt.Errorf("keys: rotate: nothing changed: %w", err)
	}
	if afterCommit != nil {
		if err := afterCommit(); err != nil {
			return res, err
		}
	}
	if m.Generated {
		res.KeyFile = promoteNextKey(current, logger)
	}
	// The old tokens were overwritten in place; push them out of the WAL too.
	if err := store.Checkpoint(ctx); err != nil {
		logger.Warn("checkpoint after rotation", slog.Any("error", err))
	}
	logger.Info("rotated encryption key", "from_version", res.From, "to_version", res.To)
	return res, nil
}

// VersionStatus describes one key version for `lore keys status`.
type VersionStatus struct {
	Version   int
	KDF       string
	Active    bool
	Rows      map[string]int // rows using it, per table
	CreatedAt time.Time
	Age       time.Duration
	// Stale is true for the active key past RotationAdvice.
	Stale bool
}

// Status lists the key versions with their use and age at now. It derives no
// key and reads no secret.
func Status(ctx context.Context, store *storage.Store, now time.Time) ([]VersionStatus, error) {
	versions, err := store.KeyVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	usage, err := usageByVersion(ctx, store)
	if err != nil {
		return nil, err
	}
	out := make([]VersionStatus, 0, len(versions))
	for _, v := range versions {
		age := now.Sub(v.CreatedAt)
		rows := usage[v.Version]
		if rows == nil {
			rows = tableUsage{}
		}
		out = append(out, VersionStatus{
			Version: v.Version, KDF: v.KDF, Active: v.Active, Rows: rows,
			CreatedAt: v.CreatedAt, Age: age, Stale: v.Active && stale(v, now),
		})
	}
	return out, nil
}

// RotationDue tells whether the active key is older than RotationAdvice at
// now. It reads the key versions only, and derives no key.
func RotationDue(ctx context.Context, store *storage.Store, now time.Time) (bool, error) {
	versions, err := store.KeyVersions(ctx)
	if err != nil {
		return false, fmt.Errorf("keys: %w", err)
	}
	for _, v := range versions {
		if v.Active {
			return stale(v, now), nil
		}
	}
	return false, nil
}

func stale(v storage.KeyVersion, now time.Time) bool { return now.Sub(v.CreatedAt) > RotationAdvice }
