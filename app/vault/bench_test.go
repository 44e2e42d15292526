package vault

import (
	"strings"
	"testing"
)

// Run with -cpu 1 for the per-core figures: go test -bench . -cpu 1 ./app/vault/

// BenchmarkEncrypt encrypts a 60-byte token (a Slack bot token's size).
func BenchmarkEncrypt(b *testing.B) {
	k := mustKey(b, specSecret)
	p := strings.Repeat("x", 60)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Encrypt(p); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// reportRate adds operations per second to the figures.
func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkDecrypt decrypts a 60-byte token.
func BenchmarkDecrypt(b *testing.B) {
	k := mustKey(b, specSecret)
	tok, err := k.Encrypt(strings.Repeat("x", 60))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Decrypt(tok); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// BenchmarkParseKeyPassphrase is the cost of stretching a passphrase at the
// default 600000 iterations, paid once per key version per process.
func BenchmarkParseKeyPassphrase(b *testing.B) {
	kdf := KDF{Salt: []byte("0123456789abcdef"), Iterations: DefaultIterations}
	for b.Loop() {
		if _, err := ParseKey("correct horse battery staple", kdf); err != nil {
			b.Fatal(err)
		}
	}
}
