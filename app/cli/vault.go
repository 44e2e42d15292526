package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"lore/app"
	"lore/app/vault"
	"lore/storage"
)

func vaultCommand(ctx context.Context, env Env, args []string) error {
	flags := newFlagSet("vault", " encrypt|decrypt",
		"Encrypts or decrypts one value read from standard input (a trailing newline is ignored) and\n"+
			"writes the result with no newline. The key comes from ENCRYPTION_KEY or ENCRYPTION_KEY_FILE (or\n"+
			"the development key file). A passphrase needs a salt and iterations: --salt and --iterations win,\n"+
			"then ENCRYPTION_SALT and ENCRYPTION_ITERATIONS, then the active key version in the database.")
	var c commonFlags
	c.register(flags, env, "warn")
	salt := flags.String("salt", "", "PBKDF2 salt for a passphrase key")
	iterations := flags.Int("iterations", 0, "PBKDF2 iterations for a passphrase key")
	sub, err := subcommand(flags, env, args, "encrypt", "decrypt")
	if err != nil {
		return err
	}
	if *iterations < 0 {
		return usagef("--iterations must be positive")
	}
	cfg, err := c.config(env)
	if err != nil {
		return err
	}
	m, err := cfg.Keys.Material(false)
	if err != nil {
		return err
	}
	kdf := vault.KDF{Salt: []byte(cfg.Keys.Salt), Iterations: cfg.Keys.Iterations}
	if *salt != "" {
		kdf.Salt = []byte(*salt)
	}
	if *iterations != 0 {
		kdf.Iterations = *iterations
	}
	if !vault.IsFernetKey(m.Secret) && (len(kdf.Salt) == 0 || kdf.Iterations == 0) {
		stored, err := activeKDF(ctx, env, cfg)
		if err != nil {
			return err
		}
		if len(kdf.Salt) == 0 {
			kdf.Salt = stored.Salt
		}
		if kdf.Iterations == 0 {
			kdf.Iterations = stored.Iterations
		}
		if len(kdf.Salt) == 0 {
			return usagef("the key is a passphrase and no salt is known: pass --salt or set ENCRYPTION_SALT")
		}
		if kdf.Iterations == 0 {
			kdf.Iterations = vault.DefaultIterations
		}
	}
	key, err := vault.ParseKey(m.Secret, kdf)
	if err != nil {
		return err
	}
	defer key.Destroy()

	in, err := io.ReadAll(io.LimitReader(env.Stdin, 1<<20))
	if err != nil {
		return fmt.Errorf("vault: read standard input: %w", err)
	}
	value := strings.TrimSuffix(strings.TrimSuffix(string(in), "\n"), "\r")
	clear(in)
	var out string
	if sub == "encrypt" {
		out, err = key.Encrypt(value)
	} else {
		out, err = key.Decrypt(value)
	}
	if err != nil {
		return err
	}
	_, err = io.WriteString(env.Stdout, out)
	return err
}

// activeKDF returns the salt and iterations of the database's active key
// version, or a zero KDF when there is no database or no passphrase version.
func activeKDF(ctx context.Context, env Env, cfg app.Config) (vault.KDF, error) {
	if _, err := os.Stat(cfg.DatabasePath()); err != nil {
		return vault.KDF{}, nil
	}
	a, err := openWith(ctx, env, cfg, discardLogger(), needOf("vault"))
	if err != nil {
		return vault.KDF{}, err
	}
	defer a.Close()
	versions, err := a.Store.KeyVersions(ctx)
	if err != nil {
		return vault.KDF{}, nil // a schema from before key versions: nothing stored
	}
	for _, v := range versions {
		if v.Active && v.KDF == storage.KDFPBKDF2 {
			return vault.KDF{Salt: v.Salt, Iterations: v.Iterations}, nil
		}
	}
	return vault.KDF{}, nil
}
