package jwt_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

// Test values from the cross-SDK compatibility vectors that Virgil's SDKs
// share (STC-22, STC-23, STC-28 and STC-29). The App Key below is a
// published test key and protects nothing.
const (
	testAppKey       = "MC4CAQAwBQYDK2VwBCIEIMxSaUI1QizmMvSPyTc26YsK21clGXKEztNKZ7NtrATP"
	testAppPublicKey = "MCowBQYDK2VwAyEAY9J8et78SmmE4GOm7f8fdew/eQB5YxKkwZeO3Z1IBt4="
	testAppKeyID     = "8e62643674d100b8a52648475c23b8bb86a1f119e89970cc63cdccc0920df2ea2d8cb7d6b54c4a9e284b2ccf5acb22ea37efefcb6e4274c4b04ed725e4454ca1"
	testAppID        = "13497c3c795e3a6c32643b0a76957b70d2332080762469cdbec89d6390e6dbd7"

	// stc22Token is signed with testAppKey and expired in 2018.
	stc22Token = "eyJhbGciOiJWRURTNTEyIiwiY3R5IjoidmlyZ2lsLWp3dDt2PTEiLCJraWQiOiI4ZTYyNjQzNjc0ZDEwMGI4YTUyNjQ4NDc1YzIzYjhiYjg2YTFmMTE5ZTg5OTcwY2M2M2NkY2NjMDkyMGRmMmVhMmQ4Y2I3ZDZiNTRjNGE5ZTI4NGIyY2NmNWFjYjIyZWEzN2VmZWZjYjZlNDI3NGM0YjA0ZWQ3MjVlNDQ1NGNhMSIsInR5cCI6IkpXVCJ9.eyJhZGEiOnsidXNlcm5hbWUiOiJzb21lX3VzZXJuYW1lIn0sImV4cCI6MTUxODUxMzkwOSwiaWF0IjoxNTE4NTEzMzA5LCJpc3MiOiJ2aXJnaWwtMTM0OTdjM2M3OTVlM2E2YzMyNjQzYjBhNzY5NTdiNzBkMjMzMjA4MDc2MjQ2OWNkYmVjODlkNjM5MGU2ZGJkNyIsInN1YiI6ImlkZW50aXR5LXNvbWVfaWRlbnRpdHkifQ.MFEwDQYJYIZIAWUDBAIDBQAEQDMCvFjAaCBE5oLbFY9CAC-HPiPkBVr3qSZChbwRaRZADb6RZuljSpEvzoiqNGTxgUgqUiCefH-Tkb89tvjSdAY"

	// stc28Token and stc29Token are signed with keys the vectors do not
	// publish.
	stc28Token = "eyJhbGciOiJWRURTNTEyIiwiY3R5IjoidmlyZ2lsLWp3dDt2PTEiLCJraWQiOiJlMGU0ZTYxZDYzZDQyN2QxODVkNTNjY2NiYTQ3YjY2NTdhMjA2OWYwMTdlNGVkNWQwODgwMjg0NmFhMWFiYTE4YzM1ZTQwYjNiZjRmZmZiZmNjN2Q1NTQ4YzMyODFmY2YyNGQzZDRkMjFiZjg1ZTU1YmI5NGE4ZDA1ODI5ZGJjNiIsInR5cCI6IkpXVCJ9.eyJhZGEiOnsidXNlcm5hbWUiOiJzb21lX3VzZXJuYW1lIn0sImV4cCI6MTUxODUxMzQzMSwiaWF0IjoxNTE4NTEzMzExLCJpc3MiOiJ2aXJnaWwtMDA4ODlhNjAyNmVkOTM1Y2VlY2NkNjk1NWQ4Nzc4ZmMwNWVlMzUzODAzOGM2ZmVlZTBhZTdlYjFjMGQ3ZGI0YiIsInN1YiI6ImlkZW50aXR5LXNvbWVfaWRlbnRpdHkifQ.MFEwDQYJYIZIAWUDBAIDBQAEQJact35eWOqNMu7JfLrk5vGYDK88q41-78jnrVtmOnG5hKolb3wkp4LfI-Uqej6_bDo_wXN3TRg7oCl_chCVjA4"
	stc29Token = "eyJhbGciOiJWRURTNTEyIiwia2lkIjoiZTc5NTNiODc0ODQ3YTM2NGJmZGQyNDdhYzFiMjc4YTYiLCJ0eXAiOiJKV1QiLCJjdHkiOiJ2aXJnaWwtand0O3Y9MSJ9.eyJpc3MiOiJ2aXJnaWwtODg2MzBhZWVmYjFhNDllNWEwYzQ5MWE5NGVkMzZmMzc1MGEwNWVhMWIwYTNkNDczMTlhYjgwNzg2ZmUxOWIxNyIsInN1YiI6ImlkZW50aXR5LXNvbWVfaWRlbnRpdHkiLCJpYXQiOjE1NTAwNzI4NTAsImV4cCI6MTcwNzc1Mjg1MCwiYWRhIjp7InVzZXJuYW1lIjoic29tZV91c2VybmFtZSJ9fQ.MFEwDQYJYIZIAWUDBAIDBQAEQE_mAKrJgiCyyNpIcl6hXm4e8Tpg17q3OhDAvoEpmMDelrbZnAw-Y2kI8TtzBDSHcYVFBEIGCpzRjn-_D0WfpgQ"

	// stc28Signature and stc29Signature are the signatures of the two
	// tokens in standard base64, as the vectors give them.
	stc28Signature = "MFEwDQYJYIZIAWUDBAIDBQAEQJact35eWOqNMu7JfLrk5vGYDK88q41+78jnrVtmOnG5hKolb3wkp4LfI+Uqej6/bDo/wXN3TRg7oCl/chCVjA4="
	stc29Signature = "MFEwDQYJYIZIAWUDBAIDBQAEQE/mAKrJgiCyyNpIcl6hXm4e8Tpg17q3OhDAvoEpmMDelrbZnAw+Y2kI8TtzBDSHcYVFBEIGCpzRjn+/D0WfpgQ="
)

// testClock is the fixed time of the golden tokens: 2023-11-14 22:13:20 UTC.
var testClock = time.Unix(1700000000, 0)

func fixedClock() time.Time { return testClock }

func testKeys(t testing.TB) (ed25519.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	private, err := jwt.ParsePrivateKey([]byte(testAppKey))
	if err != nil {
		t.Fatalf("ParsePrivateKey(test App Key): %v", err)
	}
	public, err := jwt.ParsePublicKey([]byte(testAppPublicKey))
	if err != nil {
		t.Fatalf("ParsePublicKey(test App public key): %v", err)
	}
	return private, public
}

func testSigner(t testing.TB) *jwt.Signer {
	t.Helper()
	private, _ := testKeys(t)
	return &jwt.Signer{
		AppID:    testAppID,
		AppKeyID: testAppKeyID,
		AppKey:   private,
		TTL:      20 * time.Minute,
		Now:      fixedClock,
	}
}

func mustDecodeStd(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return b
}

func TestVectorsParse(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		header    jwt.Header
		claims    jwt.Claims
		signature string
	}{
		{
			name:  "STC-22",
			token: stc22Token,
			header: jwt.Header{
				Algorithm:   "VEDS512",
				KeyID:       testAppKeyID,
				Type:        "JWT",
				ContentType: "virgil-jwt;v=1",
			},
			claims: jwt.Claims{
				Issuer:         "virgil-" + testAppID,
				Subject:        "identity-some_identity",
				IssuedAt:       1518513309,
				ExpiresAt:      1518513909,
				AdditionalData: map[string]any{"username": "some_username"},
			},
		},
		{
			name:  "STC-28",
			token: stc28Token,
			header: jwt.Header{
				Algorithm:   "VEDS512",
				KeyID:       "e0e4e61d63d427d185d53cccba47b6657a2069f017e4ed5d08802846aa1aba18c35e40b3bf4fffbfcc7d5548c3281fcf24d3d4d21bf85e55bb94a8d05829dbc6",
				Type:        "JWT",
				ContentType: "virgil-jwt;v=1",
			},
			claims: jwt.Claims{
				Issuer:         "virgil-00889a6026ed935ceeccd6955d8778fc05ee3538038c6feee0ae7eb1c0d7db4b",
				Subject:        "identity-some_identity",
				IssuedAt:       1518513311,
				ExpiresAt:      1518513431,
				AdditionalData: map[string]any{"username": "some_username"},
			},
			signature: stc28Signature,
		},
		{
			name:  "STC-29",
			token: stc29Token,
			header: jwt.Header{
				Algorithm:   "VEDS512",
				KeyID:       "e7953b874847a364bfdd247ac1b278a6",
				Type:        "JWT",
				ContentType: "virgil-jwt;v=1",
			},
			claims: jwt.Claims{
				Issuer:         "virgil-88630aeefb1a49e5a0c491a94ed36f3750a05ea1b0a3d47319ab80786fe19b17",
				Subject:        "identity-some_identity",
				IssuedAt:       1550072850,
				ExpiresAt:      1707752850,
				AdditionalData: map[string]any{"username": "some_username"},
			},
			signature: stc29Signature,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := jwt.Parse(tt.token)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tok.Header != tt.header {
				t.Errorf("Header = %+v, want %+v", tok.Header, tt.header)
			}
			if !reflect.DeepEqual(tok.Claims, tt.claims) {
				t.Errorf("Claims = %+v, want %+v", tok.Claims, tt.claims)
			}
			if got := tok.Identity(); got != "some_identity" {
				t.Errorf("Identity() = %q, want %q", got, "some_identity")
			}
			if got, want := tok.AppID(), tt.claims.Issuer[len("virgil-"):]; got != want {
				t.Errorf("AppID() = %q, want %q", got, want)
			}
			if got := tok.String(); got != tt.token {
				t.Errorf("String() differs from the parsed token")
			}
			if tt.signature != "" {
				if got, want := tok.Signature, mustDecodeStd(t, tt.signature); string(got) != string(want) {
					t.Errorf("Signature = %x, want %x", got, want)
				}
			}
		})
	}
}

func TestVectorsVerify(t *testing.T) {
	_, public := testKeys(t)
	expiresAt := time.Unix(1518513909, 0)

	t.Run("STC-22 genuine", func(t *testing.T) {
		tok, err := jwt.Parse(stc22Token)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if err := tok.Verify(public, testAppKeyID); err != nil {
			t.Errorf("Verify: %v", err)
		}
	})
	t.Run("STC-22 wrong App Key ID", func(t *testing.T) {
		tok, err := jwt.Parse(stc22Token)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if err := tok.Verify(public, testAppKeyID[1:]); !errors.Is(err, jwt.ErrHeader) {
			t.Errorf("Verify error = %v, want ErrHeader", err)
		}
	})
	t.Run("STC-22 expiry", func(t *testing.T) {
		tok, err := jwt.Parse(stc22Token)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if tok.Expired(expiresAt) {
			t.Errorf("Expired(exp) = true, want false: a token is valid during its exp second")
		}
		if !tok.Expired(expiresAt.Add(time.Second)) {
			t.Errorf("Expired(exp+1s) = false, want true")
		}
	})
	t.Run("STC-22 verifier reports expired", func(t *testing.T) {
		v := jwt.Verifier{AppPublicKey: public, AppKeyID: testAppKeyID}
		tok, err := v.Verify(stc22Token)
		if !errors.Is(err, jwt.ErrExpired) {
			t.Fatalf("Verify error = %v, want ErrExpired", err)
		}
		if tok == nil || tok.Identity() != "some_identity" {
			t.Errorf("Verify returned token %v, want the expired token", tok)
		}
	})
	t.Run("STC-22 verifier before expiry", func(t *testing.T) {
		v := jwt.Verifier{
			AppPublicKey: public,
			AppKeyID:     testAppKeyID,
			Now:          func() time.Time { return expiresAt },
		}
		if _, err := v.Verify(stc22Token); err != nil {
			t.Errorf("Verify: %v", err)
		}
	})

	for name, token := range map[string]string{"STC-28": stc28Token, "STC-29": stc29Token} {
		t.Run(name+" with STC-22 key", func(t *testing.T) {
			tok, err := jwt.Parse(token)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = tok.Verify(public, tok.Header.KeyID)
			if !errors.Is(err, jwt.ErrSignature) {
				t.Errorf("Verify with the token's own kid: error = %v, want ErrSignature", err)
			}
			err = tok.Verify(public, testAppKeyID)
			if !errors.Is(err, jwt.ErrHeader) {
				t.Errorf("Verify with the STC-22 App Key ID: error = %v, want ErrHeader", err)
			}
		})
	}
}
