package jwt_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

// goldenToken is the token for "alice@example.com" minted with the test
// App Key at testClock with a 20-minute TTL. Ed25519 signatures are
// deterministic, so it never changes; TestInteropGolden checks that
// Virgil's JavaScript SDK mints the same bytes.
const goldenToken = "eyJhbGciOiJWRURTNTEyIiwia2lkIjoiOGU2MjY0MzY3NGQxMDBiOGE1MjY0ODQ3NWMyM2I4YmI4NmExZjExOWU4OTk3MGNjNjNjZGNjYzA5MjBkZjJlYTJkOGNiN2Q2YjU0YzRhOWUyODRiMmNjZjVhY2IyMmVhMzdlZmVmY2I2ZTQyNzRjNGIwNGVkNzI1ZTQ0NTRjYTEiLCJ0eXAiOiJKV1QiLCJjdHkiOiJ2aXJnaWwtand0O3Y9MSJ9.eyJpc3MiOiJ2aXJnaWwtMTM0OTdjM2M3OTVlM2E2YzMyNjQzYjBhNzY5NTdiNzBkMjMzMjA4MDc2MjQ2OWNkYmVjODlkNjM5MGU2ZGJkNyIsInN1YiI6ImlkZW50aXR5LWFsaWNlQGV4YW1wbGUuY29tIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDEyMDB9.MFEwDQYJYIZIAWUDBAIDBQAEQEIBq3ckc6taZcyiyv7ewUskNz3thA6AGif3DfvRlQMWOWujGIYj-xXEjwyPc0heUv4wqWv_3rLZuSA-pR_eGQI"

// goldenTokenWithData is goldenToken with additional data {"role":"admin"}.
const goldenTokenWithData = "eyJhbGciOiJWRURTNTEyIiwia2lkIjoiOGU2MjY0MzY3NGQxMDBiOGE1MjY0ODQ3NWMyM2I4YmI4NmExZjExOWU4OTk3MGNjNjNjZGNjYzA5MjBkZjJlYTJkOGNiN2Q2YjU0YzRhOWUyODRiMmNjZjVhY2IyMmVhMzdlZmVmY2I2ZTQyNzRjNGIwNGVkNzI1ZTQ0NTRjYTEiLCJ0eXAiOiJKV1QiLCJjdHkiOiJ2aXJnaWwtand0O3Y9MSJ9.eyJpc3MiOiJ2aXJnaWwtMTM0OTdjM2M3OTVlM2E2YzMyNjQzYjBhNzY5NTdiNzBkMjMzMjA4MDc2MjQ2OWNkYmVjODlkNjM5MGU2ZGJkNyIsInN1YiI6ImlkZW50aXR5LWFsaWNlQGV4YW1wbGUuY29tIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDEyMDAsImFkYSI6eyJyb2xlIjoiYWRtaW4ifX0.MFEwDQYJYIZIAWUDBAIDBQAEQNP2qgvbN-q8T_Upx1PXY4Rhny22Lygale__Mq0z7PeatWhfBQ6mjFniRUP2vIdnGg1_mwgpRdKNdX2H3QPyGgQ"

func TestMintGolden(t *testing.T) {
	signer := testSigner(t)
	tests := []struct {
		name string
		ada  map[string]string
		want string
	}{
		{"without additional data", nil, goldenToken},
		{"empty additional data", map[string]string{}, goldenToken},
		{"with additional data", map[string]string{"role": "admin"}, goldenTokenWithData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := signer.Mint("alice@example.com", tt.ada)
			if err != nil {
				t.Fatalf("Mint: %v", err)
			}
			if got != tt.want {
				t.Errorf("Mint =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
	t.Run("other identity differs", func(t *testing.T) {
		got, err := signer.Mint("alice@example.org", nil)
		if err != nil {
			t.Fatalf("Mint: %v", err)
		}
		if got == goldenToken {
			t.Errorf("tokens for different identities are equal")
		}
	})
}

// roundTripIdentities are identities that must read back byte for byte.
var roundTripIdentities = map[string]string{
	"ASCII":             "alice@example.com",
	"Latin-1":           "café Müller",
	"CJK":               "山田太郎",
	"emoji":             "🦊🏳️‍🌈",
	"astral plane":      "\U0001D11E\U0010FFFF",
	"combining marks":   "e\u0301a\u0308",
	"NUL":               "a\x00b",
	"control bytes":     "\x01\x07\x1b\x1f\x7f",
	"JSON escapes":      "\b\f\n\r\t",
	"quotes":            `"'` + "`",
	"backslashes":       `C:\Users\bob\\`,
	"HTML characters":   "<script>&amp;</script>",
	"line separators":   "a\u2028b\u2029c",
	"BOM":               "\uFEFFbom",
	"BOM only":          "\uFEFF",
	"U+FFFD":            "\uFFFD",
	"prefix repeated":   "identity-identity-x",
	"spaces around":     "  padded  ",
	"escaped surrogate": `\ud83e\udd8a`,
	"very long":         strings.Repeat("λx.", 10000),
}

func TestMintIdentityRoundTrip(t *testing.T) {
	signer := testSigner(t)
	_, public := testKeys(t)
	for name, identity := range roundTripIdentities {
		t.Run(name, func(t *testing.T) {
			token, err := signer.Mint(identity, nil)
			if err != nil {
				t.Fatalf("Mint: %v", err)
			}
			if !isASCII(token) {
				t.Errorf("token is not ASCII")
			}
			if body := segmentJSON(t, token, 1); !isASCII(body) {
				t.Errorf("body JSON is not ASCII: %q", body)
			}

			tok, err := jwt.Parse(token)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := tok.Verify(public, testAppKeyID); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if got := tok.Identity(); got != identity {
				t.Errorf("Identity() = %q, want %q", got, identity)
			}
		})
	}
}

func TestMintIdentityRejected(t *testing.T) {
	signer := testSigner(t)
	tests := map[string]string{
		"empty":                "",
		"space":                " ",
		"whitespace":           " \t\r\n\v\f",
		"no-break space":       "\u00A0",
		"line separator":       "\u2028",
		"ideographic space":    "\u3000",
		"invalid UTF-8":        "\xff",
		"truncated UTF-8":      "caf\xc3",
		"encoded surrogate":    "\xed\xa0\x80",
		"overlong encoding":    "\xc0\xaf",
		"Latin-1 byte in text": "caf\xe9",
	}
	for name, identity := range tests {
		t.Run(name, func(t *testing.T) {
			token, err := signer.Mint(identity, nil)
			if !errors.Is(err, jwt.ErrIdentity) {
				t.Errorf("Mint error = %v, want ErrIdentity", err)
			}
			if token != "" {
				t.Errorf("Mint returned a token with the error")
			}
		})
	}
}

func TestMintAdditionalData(t *testing.T) {
	signer := testSigner(t)
	_, public := testKeys(t)
	tests := map[string]map[string]string{
		"one value":         {"role": "admin"},
		"several values":    {"b": "2", "a": "1", "c": ""},
		"non-ASCII":         {"名前": "Jürgen 🦊", "e\u0301": "\u2028"},
		"escapes":           {"q\"": "\\\x00\n", "<>": "&"},
		"same as a claim":   {"sub": "identity-mallory", "iss": "virgil-x"},
		"long value":        {"blob": strings.Repeat("x", 5000)},
		"name with spaces":  {" ": " "},
		"case-variant keys": {"Role": "a", "role": "b"},
	}
	for name, ada := range tests {
		t.Run(name, func(t *testing.T) {
			token, err := signer.Mint("alice", ada)
			if err != nil {
				t.Fatalf("Mint: %v", err)
			}
			tok, err := jwt.Parse(token)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := tok.Verify(public, testAppKeyID); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if got := tok.Identity(); got != "alice" {
				t.Errorf("Identity() = %q, want %q", got, "alice")
			}
			got := map[string]string{}
			for k, v := range tok.Claims.AdditionalData {
				s, ok := v.(string)
				if !ok {
					t.Errorf("ada[%q] = %#v, want a string", k, v)
				}
				got[k] = s
			}
			if !maps.Equal(got, ada) {
				t.Errorf("AdditionalData = %q, want %q", got, ada)
			}
		})
	}
}

func TestMintAdditionalDataRejected(t *testing.T) {
	signer := testSigner(t)
	tests := map[string]map[string]string{
		"empty name":          {"": "x"},
		"invalid UTF-8 name":  {"\xff": "x"},
		"invalid UTF-8 value": {"name": "caf\xe9"},
	}
	for name, ada := range tests {
		t.Run(name, func(t *testing.T) {
			token, err := signer.Mint("alice", ada)
			if !errors.Is(err, jwt.ErrAdditionalData) {
				t.Errorf("Mint error = %v, want ErrAdditionalData", err)
			}
			if token != "" {
				t.Errorf("Mint returned a token with the error")
			}
		})
	}
}

func TestMintTimes(t *testing.T) {
	tests := []struct {
		name     string
		now      time.Time
		ttl      time.Duration
		iat, exp int64
	}{
		{"whole second", time.Unix(1700000000, 0), 20 * time.Minute, 1700000000, 1700001200},
		{"fraction truncated", time.Unix(1700000000, 999999999), time.Hour, 1700000000, 1700003600},
		{"TTL fraction truncated", time.Unix(1700000000, 0), 1500 * time.Millisecond, 1700000000, 1700000001},
		{"minimum TTL", time.Unix(1700000000, 0), time.Second, 1700000000, 1700000001},
		{"non-UTC location", time.Unix(1700000000, 0).In(time.FixedZone("X", -7*3600)), time.Minute, 1700000000, 1700000060},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer := testSigner(t)
			signer.Now = func() time.Time { return tt.now }
			signer.TTL = tt.ttl
			token, err := signer.Mint("alice", nil)
			if err != nil {
				t.Fatalf("Mint: %v", err)
			}
			tok, err := jwt.Parse(token)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tok.Claims.IssuedAt != tt.iat {
				t.Errorf("iat = %d, want %d", tok.Claims.IssuedAt, tt.iat)
			}
			if tok.Claims.ExpiresAt != tt.exp {
				t.Errorf("exp = %d, want %d", tok.Claims.ExpiresAt, tt.exp)
			}
			body := segmentJSON(t, token, 1)
			if want := `"iat":` + strconv.FormatInt(tt.iat, 10) + `,"exp":` + strconv.FormatInt(tt.exp, 10); !strings.Contains(body, want) {
				t.Errorf("body %s does not contain %s", body, want)
			}
		})
	}
}

func TestMintSignerErrors(t *testing.T) {
	private, _ := testKeys(t)
	corrupt := append(ed25519.PrivateKey(nil), private...)
	corrupt[63] ^= 1
	tests := []struct {
		name   string
		modify func(*jwt.Signer)
		want   string
		key    bool // whether the error wraps ErrKey
	}{
		{"empty App ID", func(s *jwt.Signer) { s.AppID = "" }, "App ID is empty", false},
		{"invalid App ID", func(s *jwt.Signer) { s.AppID = "\xff" }, "App ID is not valid UTF-8", false},
		{"empty App Key ID", func(s *jwt.Signer) { s.AppKeyID = "" }, "App Key ID is empty", false},
		{"invalid App Key ID", func(s *jwt.Signer) { s.AppKeyID = "\xfe" }, "App Key ID is not valid UTF-8", false},
		{"no App Key", func(s *jwt.Signer) { s.AppKey = nil }, "App Key has 0 bytes", true},
		{"seed as App Key", func(s *jwt.Signer) { s.AppKey = ed25519.PrivateKey(private.Seed()) }, "App Key has 32 bytes", true},
		{"zero TTL", func(s *jwt.Signer) { s.TTL = 0 }, "shorter than one second", false},
		{"negative TTL", func(s *jwt.Signer) { s.TTL = -time.Hour }, "shorter than one second", false},
		{"sub-second TTL", func(s *jwt.Signer) { s.TTL = 999 * time.Millisecond }, "shorter than one second", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer := testSigner(t)
			tt.modify(signer)
			for op, err := range map[string]error{"Validate": signer.Validate(), "Mint": mintErr(signer)} {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s error = %v, want one containing %q", op, err, tt.want)
				}
				if errors.Is(err, jwt.ErrKey) != tt.key {
					t.Errorf("%s error %q wraps ErrKey: %t, want %t", op, err, !tt.key, tt.key)
				}
			}
		})
	}
	t.Run("valid signer", func(t *testing.T) {
		if err := testSigner(t).Validate(); err != nil {
			t.Errorf("Validate: %v", err)
		}
	})
	t.Run("corrupt App Key", func(t *testing.T) {
		signer := testSigner(t)
		signer.AppKey = corrupt
		if err := signer.Validate(); !errors.Is(err, jwt.ErrKey) {
			t.Errorf("Validate error = %v, want ErrKey", err)
		}
	})
}

func mintErr(s *jwt.Signer) error {
	_, err := s.Mint("alice", nil)
	return err
}

func TestMintDefaultClock(t *testing.T) {
	signer := testSigner(t)
	signer.Now = nil
	before := time.Now().Unix()
	token, err := signer.Mint("alice", nil)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	after := time.Now().Unix()
	tok, err := jwt.Parse(token)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if iat := tok.Claims.IssuedAt; iat < before || iat > after {
		t.Errorf("iat = %d, want between %d and %d", iat, before, after)
	}
}

func TestVerifyRejectsForgeries(t *testing.T) {
	_, public := testKeys(t)
	otherPublic, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(goldenToken, ".")
	mallory := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(segmentJSON(t, goldenToken, 1), "alice", "mallo", 1)))
	flipped := []byte(parts[2])
	flipped[len(flipped)-3] ^= 'A' ^ 'B'

	tests := []struct {
		name   string
		token  string
		public ed25519.PublicKey
		keyID  string
		want   error
	}{
		{"genuine", goldenToken, public, testAppKeyID, nil},
		{"wrong public key", goldenToken, otherPublic, testAppKeyID, jwt.ErrSignature},
		{"wrong App Key ID", goldenToken, public, strings.ToUpper(testAppKeyID), jwt.ErrHeader},
		{"empty App Key ID", goldenToken, public, "", jwt.ErrHeader},
		{"short public key", goldenToken, public[:31], testAppKeyID, jwt.ErrKey},
		{"tampered body", parts[0] + "." + mallory + "." + parts[2], public, testAppKeyID, jwt.ErrSignature},
		{"tampered signature", parts[0] + "." + parts[1] + "." + string(flipped), public, testAppKeyID, jwt.ErrSignature},
		{"signature of other token", parts[0] + "." + parts[1] + "." + strings.Split(goldenTokenWithData, ".")[2], public, testAppKeyID, jwt.ErrSignature},
		{"raw signature without DER", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(mustSignature(t, goldenToken)[19:]), public, testAppKeyID, jwt.ErrSignature},
		{"empty signature", parts[0] + "." + parts[1] + ".", public, testAppKeyID, jwt.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := jwt.Parse(tt.token)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = tok.Verify(tt.public, tt.keyID)
			if tt.want == nil && err != nil {
				t.Errorf("Verify: %v", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Verify error = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), parts[2]) {
				t.Errorf("error contains the token signature")
			}
		})
	}
}

func mustSignature(t *testing.T, token string) []byte {
	t.Helper()
	tok, err := jwt.Parse(token)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Signature
}

// segmentJSON returns the decoded header (index 0) or body (index 1).
func segmentJSON(t *testing.T, token string, index int) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[index])
	if err != nil {
		t.Fatalf("decoding segment %d: %v", index, err)
	}
	return string(b)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
