package jwt_test

import (
	"crypto/ed25519"
	"crypto/sha512"
	"strings"
	"testing"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

func BenchmarkMint(b *testing.B) {
	signer := testSigner(b)
	for b.Loop() {
		if _, err := signer.Mint("alice@example.com", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMintNonASCII(b *testing.B) {
	signer := testSigner(b)
	identity := "Zoë 山田 🦊 " + strings.Repeat("é", 32)
	ada := map[string]string{"name": "Jürgen Weiß", "team": "検索", "role": "admin"}
	for b.Loop() {
		if _, err := signer.Mint(identity, ada); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseVerify(b *testing.B) {
	signer := testSigner(b)
	_, public := testKeys(b)
	token, err := signer.Mint("alice@example.com", map[string]string{"role": "admin"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		tok, err := jwt.Parse(token)
		if err != nil {
			b.Fatal(err)
		}
		if err := tok.Verify(public, testAppKeyID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignOnly(b *testing.B) {
	private, _ := testKeys(b)
	digest := sha512.Sum512([]byte(strings.Repeat("x", 400)))
	for b.Loop() {
		ed25519.Sign(private, digest[:])
	}
}
