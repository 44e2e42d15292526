// Package keys connects the vault to the database: where the key material
// comes from, which stored key version it matches, rotation to a new key and
// the status of every version.
package keys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"lore/app/vault"
	"lore/storage"
)

// DevKeyFile is the name of the key file generated in the data directory
// when no key is configured.
const DevKeyFile = "encryption.key"

// ErrNoKey is returned by Source.Material when no key is configured and
// the development key file does not exist.
var ErrNoKey = errors.New("no key: set ENCRYPTION_KEY or ENCRYPTION_KEY_FILE")

// Source says where the key material comes from and how to stretch a
// passphrase that has no stored key version yet.
type Source struct {
	Key        string // ENCRYPTION_KEY: a Fernet key or a passphrase
	KeyFile    string // ENCRYPTION_KEY_FILE: a file holding one
	Salt       string // ENCRYPTION_SALT: a fixed salt (the original system's); random when empty
	Iterations int    // ENCRYPTION_ITERATIONS: 0 means vault.DefaultIterations
	DataDir    string // where the development key file is kept
}

// SourceFromEnv reads ENCRYPTION_KEY, ENCRYPTION_KEY_FILE, ENCRYPTION_SALT and
// ENCRYPTION_ITERATIONS.
func SourceFromEnv(getenv func(string) string, dataDir string) (Source, error) {
	s := Source{
		Key:     getenv("ENCRYPTION_KEY"),
		KeyFile: getenv("ENCRYPTION_KEY_FILE"),
		Salt:    getenv("ENCRYPTION_SALT"),
		DataDir: dataDir,
	}
	if v := getenv("ENCRYPTION_ITERATIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return Source{}, fmt.Errorf("ENCRYPTION_ITERATIONS %q: want a positive whole number", v)
		}
		s.Iterations = n
	}
	if s.Key != "" && s.KeyFile != "" {
		return Source{}, errors.New("both ENCRYPTION_KEY and ENCRYPTION_KEY_FILE are set: keep one")
	}
	return s, nil
}

// Material is key material and where it came from.
type Material struct {
	Secret string
	Origin string // "ENCRYPTION_KEY", "ENCRYPTION_KEY_FILE (path)" or the development key file's path
	// Generated is true for the development key file in the data directory.
	Generated bool
}

// DevKeyPath is the development key file's path.
func (s Source) DevKeyPath() string { return filepath.Join(s.DataDir, DevKeyFile) }

// nextKeyPath is where keys rotate writes the new development key before
// its commit, beside the old one: a crash after the commit leaves the key
// the database now names on disk, and the next start picks it.
func (s Source) nextKeyPath() string { return s.DevKeyPath() + ".next" }

// Material reads the key material: ENCRYPTION_KEY, else the file named by
// ENCRYPTION_KEY_FILE, else the development key file, which is generated
// (mode 0600) when create is true and it does not exist yet. A Fernet key
// loses surrounding whitespace here, once, so that every later step agrees
// on what kind of key it is (see normalize).
func (s Source) Material(create bool) (Material, error) {
	m, err := s.material(create)
	m.Secret = normalize(m.Secret)
	return m, err
}

// normalize drops the whitespace around a Fernet key, so that every step
// agrees on what kind of key it is; a passphrase is kept byte for byte. All
// key material passes through it: the configured key and a rotation's new one.
func normalize(secret string) string {
	if trimmed := strings.TrimSpace(secret); trimmed != secret && vault.IsFernetKey(trimmed) {
		return trimmed
	}
	return secret
}

// Describe says where the key material comes from, for the instance
// page, without reading it: the environment (ENCRYPTION_KEY), a file it
// names (ENCRYPTION_KEY_FILE) or the development key file.
func (s Source) Describe() string {
	switch {
	case s.Key != "":
		return "the environment (ENCRYPTION_KEY)"
	case s.KeyFile != "":
		return "the file " + s.KeyFile + " (ENCRYPTION_KEY_FILE)"
	}
	return "the development key file " + s.DevKeyPath() + " (no ENCRYPTION_KEY set)"
}

func (s Source) material(create bool) (Material, error) {
	if s.Key != "" {
		return Material{Secret: s.Key, Origin: "ENCRYPTION_KEY"}, nil
	}
	if s.KeyFile != "" {
		secret, err := ReadKeyFile(s.KeyFile)
		if err != nil {
			return Material{}, fmt.Errorf("ENCRYPTION_KEY_FILE: %w", err)
		}
		return Material{Secret: secret, Origin: "ENCRYPTION_KEY_FILE (" + s.KeyFile + ")"}, nil
	}
	path := s.DevKeyPath()
	secret, err := ReadKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		if secret, err = vault.GenerateKey(); err == nil {
			err = createKeyFile(path, secret)
		}
		if errors.Is(err, fs.ErrExist) { // another process created it first: its key is the key
			secret, err = ReadKeyFile(path)
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return Material{}, ErrNoKey
	}
	if err != nil {
		return Material{}, err
	}
	return Material{Secret: secret, Origin: path, Generated: true}, nil
}

// ReadKeyFile reads key material from a file, without its trailing newline;
// an empty file is an error.
func ReadKeyFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	secret := strings.TrimRight(string(b), "\r\n")
	clear(b)
	if secret == "" {
		return "", fmt.Errorf("key file %s is empty", path)
	}
	return secret, nil
}

// writeKeyFile writes a key file readable only by its owner, atomically: a
// crash leaves the old file or the new one, never half of one.
func writeKeyFile(path, secret string) error {
	tmp, err := writeTempKey(path, secret)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	return nil
}

// createKeyFile writes a new key file readable only by its owner, and only
// if path does not exist; otherwise the error matches fs.ErrExist. The key
// is written whole to a temporary file first, then linked under path: a
// link, like O_EXCL, fails when the name is taken, and the file never
// appears half-written. Two processes creating the key at once thus agree
// on one key, the first one's.
func createKeyFile(path, secret string) error {
	tmp, err := writeTempKey(path, secret)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("create key file: %w", err)
	}
	return nil
}

// writeTempKey writes secret to a new private file beside path, synced to
// disk, and returns its name.
func writeTempKey(path, secret string) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return "", fmt.Errorf("write key file: %w", err)
	}
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.WriteString(secret + "\n")
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("write key file: %w", err)
	}
	return tmp.Name(), nil
}

// kdfFor returns how material becomes a key for a new key version.
func (s Source) kdfFor(material string) (string, vault.KDF, error) {
	if vault.IsFernetKey(material) {
		return storage.KDFFernet, vault.KDF{}, nil
	}
	kdf := vault.KDF{Salt: []byte(s.Salt), Iterations: s.Iterations}
	if len(kdf.Salt) == 0 {
		salt, err := vault.NewSalt()
		if err != nil {
			return "", vault.KDF{}, err
		}
		kdf.Salt = salt
	}
	if kdf.Iterations == 0 {
		kdf.Iterations = vault.DefaultIterations
	}
	return storage.KDFPBKDF2, kdf, nil
}
