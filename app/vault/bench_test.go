package vault

import (
	"strings"
	"testing"
)

func BenchmarkEncrypt(b *testing.B) {
	k := mustKey(b, specSecret)
	p := strings.Repeat("x", 60)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Encrypt(p); err != nil {
			b.Fatal(err)
		}
	}
}

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
}

func BenchmarkParseKeyPassphrase(b *testing.B) {
	kdf := KDF{Salt: []byte("0123456789abcdef"), Iterations: DefaultIterations}
	for b.Loop() {
		if _, err := ParseKey("correct horse battery staple", kdf); err != nil {
			b.Fatal(err)
		}
	}
}
