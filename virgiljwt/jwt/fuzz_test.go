package jwt_test

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

func FuzzParse(f *testing.F) {
	for _, token := range []string{stc22Token, stc28Token, stc29Token, goldenToken, goldenTokenWithData} {
		f.Add(token)
	}
	f.Add(signRaw(f, validHeader, strings.Replace(validBody, "alice", "caf\xe9", 1)))
	f.Add(signRaw(f, validHeader, strings.Replace(validBody, "alice", `\ud83e\udd8a`, 1)))
	f.Add(signRaw(f, validHeader, strings.Replace(validBody, `}`, `,"ada":{"a":[1,{"b":null}]}}`, 1)))
	f.Add("..")
	f.Add("e30.e30.")
	_, public := testKeys(f)

	f.Fuzz(func(t *testing.T, token string) {
		tok, err := jwt.Parse(token)
		if err != nil {
			if !errors.Is(err, jwt.ErrMalformed) {
				t.Fatalf("Parse error %q does not wrap ErrMalformed", err)
			}
			if len(err.Error()) > 400 {
				t.Fatalf("Parse error has %d bytes", len(err.Error()))
			}
			return
		}
		if tok.String() != token {
			t.Fatalf("String() differs from the input")
		}
		identity := tok.Identity()
		if strings.TrimSpace(identity) == "" || !utf8.ValidString(identity) {
			t.Fatalf("Parse accepted identity %q", identity)
		}
		if tok.Claims.Subject != "identity-"+identity {
			t.Fatalf("sub %q does not match identity %q", tok.Claims.Subject, identity)
		}
		if !strings.HasPrefix(tok.Claims.Issuer, "virgil-") {
			t.Fatalf("iss %q lacks the prefix", tok.Claims.Issuer)
		}
		err = tok.Verify(public, testAppKeyID)
		if err != nil && !errors.Is(err, jwt.ErrHeader) && !errors.Is(err, jwt.ErrSignature) {
			t.Fatalf("Verify error %q wraps neither ErrHeader nor ErrSignature", err)
		}
	})
}

func fuzzKeySeeds(f *testing.F) {
	for _, s := range []string{
		testAppKey,
		testAppPublicKey,
		testAppKey + "\r\n",
		strings.TrimRight(testAppPublicKey, "="),
		"-----BEGIN PRIVATE KEY-----\n" + testAppKey + "\n-----END PRIVATE KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\n" + testAppPublicKey + "\n-----END PUBLIC KEY-----\n",
		"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n",
		"0AAA",
		"",
	} {
		f.Add([]byte(s))
	}
	for _, s := range []string{testAppKey, testAppPublicKey} {
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
}

func FuzzParsePrivateKey(f *testing.F) {
	fuzzKeySeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := jwt.ParsePrivateKey(data)
		if err != nil {
			checkKeyError(t, err, data)
			return
		}
		if len(key) != ed25519.PrivateKeySize {
			t.Fatalf("key has %d bytes", len(key))
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		again, err := jwt.ParsePrivateKey(der)
		if err != nil || !again.Equal(key) {
			t.Fatalf("re-importing the key as DER: %v", err)
		}
	})
}

func FuzzParsePublicKey(f *testing.F) {
	fuzzKeySeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := jwt.ParsePublicKey(data)
		if err != nil {
			checkKeyError(t, err, data)
			return
		}
		if len(key) != ed25519.PublicKeySize {
			t.Fatalf("key has %d bytes", len(key))
		}
		der, err := x509.MarshalPKIXPublicKey(key)
		if err != nil {
			t.Fatal(err)
		}
		again, err := jwt.ParsePublicKey([]byte(base64.StdEncoding.EncodeToString(der)))
		if err != nil || !again.Equal(key) {
			t.Fatalf("re-importing the key as base64: %v", err)
		}
	})
}

func checkKeyError(t *testing.T, err error, data []byte) {
	t.Helper()
	if !errors.Is(err, jwt.ErrKey) {
		t.Fatalf("error %q does not wrap ErrKey", err)
	}
	if leak := keyMaterialIn(err.Error(), data); leak != "" {
		t.Fatalf("error contains input %q", leak)
	}
}

func FuzzMintIdentity(f *testing.F) {
	for _, identity := range roundTripIdentities {
		f.Add(identity, "name", "value")
	}
	f.Add("", "", "")
	f.Add(" ", "a", "b")
	f.Add("caf\xe9", "x", "\xff")
	signer := testSigner(f)
	_, public := testKeys(f)

	f.Fuzz(func(t *testing.T, identity, name, value string) {
		ada := map[string]string{name: value}
		token, err := signer.Mint(identity, ada)

		identityValid := strings.TrimSpace(identity) != "" && utf8.ValidString(identity)
		adaValid := name != "" && utf8.ValidString(name) && utf8.ValidString(value)
		switch {
		case !identityValid:
			if !errors.Is(err, jwt.ErrIdentity) {
				t.Fatalf("Mint(%q) error = %v, want ErrIdentity", identity, err)
			}
			return
		case !adaValid:
			if !errors.Is(err, jwt.ErrAdditionalData) {
				t.Fatalf("Mint with ada %q error = %v, want ErrAdditionalData", ada, err)
			}
			return
		case err != nil:
			t.Fatalf("Mint(%q): %v", identity, err)
		}

		tok, err := jwt.Parse(token)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if err := tok.Verify(public, testAppKeyID); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if got := tok.Identity(); got != identity {
			t.Fatalf("Identity() = %q, want %q", got, identity)
		}
		if !sameData(tok.Claims.AdditionalData, ada) {
			t.Fatalf("AdditionalData = %q, want %q", tok.Claims.AdditionalData, ada)
		}
	})
}
