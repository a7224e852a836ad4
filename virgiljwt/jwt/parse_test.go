package jwt_test

import (
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

const (
	validHeader = `{"alg":"VEDS512","kid":"` + testAppKeyID + `","typ":"JWT","cty":"virgil-jwt;v=1"}`
	validBody   = `{"iss":"virgil-` + testAppID + `","sub":"identity-alice","iat":1700000000,"exp":1700001200}`
)

// veds512Prefix is the DER header of a VEDS512 signature, written out here
// so the tests do not depend on the package's own copy.
var veds512Prefix = []byte{
	0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40,
}

// signRaw builds a token from header and body bytes, signed with the test
// App Key, so that only the parser can reject it.
func signRaw(t testing.TB, header, body string) string {
	t.Helper()
	private, _ := testKeys(t)
	input := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(body))
	digest := sha512.Sum512([]byte(input))
	signature := append(append([]byte{}, veds512Prefix...), ed25519.Sign(private, digest[:])...)
	return input + "." + base64.RawURLEncoding.EncodeToString(signature)
}

func TestParseValidTwins(t *testing.T) {
	_, public := testKeys(t)
	tests := []struct {
		name     string
		header   string
		body     string
		identity string
	}{
		{"baseline", validHeader, validBody, "alice"},
		{"whitespace in JSON", " " + validHeader + "\n", strings.ReplaceAll(validBody, ",", " ,\n "), "alice"},
		{"members reordered", `{"cty":"virgil-jwt;v=1","typ":"JWT","kid":"` + testAppKeyID + `","alg":"VEDS512"}`, `{"exp":1700001200,"sub":"identity-alice","iat":1700000000,"iss":"virgil-` + testAppID + `"}`, "alice"},
		{"unknown claim", validHeader, strings.Replace(validBody, `{`, `{"jti":"x",`, 1), "alice"},
		{"null ada", validHeader, strings.Replace(validBody, `}`, `,"ada":null}`, 1), "alice"},
		{"ada with numbers", validHeader, strings.Replace(validBody, `}`, `,"ada":{"n":1.5,"list":[1,{"a":1}]}}`, 1), "alice"},
		{"escaped surrogate pair", validHeader, strings.Replace(validBody, "alice", `\ud83e\udd8a`, 1), "🦊"},
		{"escaped ASCII", validHeader, strings.Replace(validBody, "alice", `\u0061lice`, 1), "alice"},
		{"raw UTF-8", validHeader, strings.Replace(validBody, "alice", "café", 1), "café"},
		{"Latin-1 as the JavaScript SDK writes it", validHeader, strings.Replace(validBody, "alice", "caf\xe9", 1), "café"},
		{"Latin-1 control range", validHeader, strings.Replace(validBody, "alice", "\x80\xff", 1), "\u0080\u00ff"},
		{"negative times", validHeader, strings.Replace(strings.Replace(validBody, "1700000000", "-5", 1), "1700001200", "-1", 1), "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := jwt.Parse(signRaw(t, tt.header, tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := tok.Verify(public, testAppKeyID); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if got := tok.Identity(); got != tt.identity {
				t.Errorf("Identity() = %q, want %q", got, tt.identity)
			}
			if got := tok.AppID(); got != testAppID {
				t.Errorf("AppID() = %q, want %q", got, testAppID)
			}
		})
	}
}

func TestParseRejectsBody(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(validBody, old, new, 1) }
	tests := []struct {
		name string
		body string
		want string
	}{
		{"duplicate sub", replace(`}`, `,"sub":"identity-mallory"}`), `duplicate name "sub"`},
		{"duplicate via escape", replace(`}`, `,"s\u0075b":"identity-mallory"}`), `duplicate name "sub"`},
		{"duplicate in ada", replace(`}`, `,"ada":{"a":"1","a":"2"}}`), `duplicate name "a"`},
		{"duplicate in nested array", replace(`}`, `,"ada":{"a":[{"b":1,"b":2}]}}`), `duplicate name "b"`},
		{"uppercase SUB", replace(`"sub"`, `"SUB"`), `differs from "sub" only in case`},
		{"case variant beside sub", replace(`}`, `,"Sub":"identity-mallory"}`), `differs from "sub" only in case`},
		{"long s in iss", replace(`}`, `,"i\u017fs":"virgil-x"}`), `only in case`},
		{"missing iss", `{"sub":"identity-alice","iat":1,"exp":2}`, "missing iss"},
		{"missing sub", `{"iss":"virgil-x","iat":1,"exp":2}`, "missing sub"},
		{"missing iat", `{"iss":"virgil-x","sub":"identity-alice","exp":2}`, "missing iat"},
		{"missing exp", `{"iss":"virgil-x","sub":"identity-alice","iat":1}`, "missing exp"},
		{"sub null", replace(`"identity-alice"`, `null`), "sub is not a string"},
		{"sub number", replace(`"identity-alice"`, `7`), "sub is not a string"},
		{"iss array", replace(`"virgil-`+testAppID+`"`, `["virgil-x"]`), "iss is not a string"},
		{"iat string", replace(`1700000000`, `"1700000000"`), "iat is not an integer"},
		{"iat fraction", replace(`1700000000`, `1700000000.5`), "iat is not an integer"},
		{"exp exponent", replace(`1700001200`, `1.7e9`), "exp is not an integer"},
		{"exp trailing zero fraction", replace(`1700001200`, `1700001200.0`), "exp is not an integer"},
		{"exp null", replace(`1700001200`, `null`), "exp is not an integer"},
		{"exp overflow", replace(`1700001200`, `99999999999999999999`), "exp is out of range"},
		{"ada array", replace(`}`, `,"ada":["a"]}`), "ada is not an object"},
		{"ada string", replace(`}`, `,"ada":"a"}`), "ada is not an object"},
		{"sub without prefix", replace(`identity-alice`, `alice`), `does not start with "identity-"`},
		{"iss without prefix", replace(`virgil-`, `virgi-`), `does not start with "virgil-"`},
		{"empty identity", replace(`identity-alice`, `identity-`), "identity is empty"},
		{"blank identity", replace(`identity-alice`, `identity- \t`), "identity is empty"},
		{"lone high surrogate", replace(`alice`, `\ud83e`), "unpaired UTF-16 surrogate"},
		{"lone low surrogate", replace(`alice`, `\udd8a`), "unpaired UTF-16 surrogate"},
		{"reversed surrogates", replace(`alice`, `\udd8a\ud83e`), "unpaired UTF-16 surrogate"},
		{"high then ASCII escape", replace(`alice`, `\ud83e\u0061`), "unpaired UTF-16 surrogate"},
		{"surrogate at end of name", replace(`}`, `,"\ud800":1}`), "unpaired UTF-16 surrogate"},
		{"array", `[` + validBody + `]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"empty", ``, ""},
		{"trailing value", validBody + `{}`, ""},
		{"trailing garbage", validBody + `x`, ""},
		{"unterminated", strings.TrimSuffix(validBody, "}"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwt.Parse(signRaw(t, validHeader, tt.body))
			if !errors.Is(err, jwt.ErrMalformed) {
				t.Fatalf("Parse error = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestParseRejectsHeader(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(validHeader, old, new, 1) }
	tests := []struct {
		name   string
		header string
		want   string
	}{
		{"missing alg", `{"kid":"k","typ":"JWT","cty":"virgil-jwt;v=1"}`, "missing alg"},
		{"missing kid", `{"alg":"VEDS512","typ":"JWT","cty":"virgil-jwt;v=1"}`, "missing kid"},
		{"missing typ", `{"alg":"VEDS512","kid":"k","cty":"virgil-jwt;v=1"}`, "missing typ"},
		{"missing cty", `{"alg":"VEDS512","kid":"k","typ":"JWT"}`, "missing cty"},
		{"kid number", replace(`"`+testAppKeyID+`"`, `1`), "kid is not a string"},
		{"duplicate alg", replace(`{`, `{"alg":"none",`), `duplicate name "alg"`},
		{"uppercase KID", replace(`"kid"`, `"KID"`), `differs from "kid" only in case`},
		{"Kelvin sign in kid", replace(`"kid"`, `"\u212aid"`), `differs from "kid" only in case`},
		{"not an object", `"VEDS512"`, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwt.Parse(signRaw(t, tt.header, validBody))
			if !errors.Is(err, jwt.ErrMalformed) {
				t.Fatalf("Parse error = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestVerifyRejectsHeaderValues(t *testing.T) {
	_, public := testKeys(t)
	replace := func(old, new string) string { return strings.Replace(validHeader, old, new, 1) }
	tests := []struct {
		name   string
		header string
		want   string
	}{
		{"alg none", replace(`VEDS512`, `none`), `alg is "none"`},
		{"alg lowercase", replace(`VEDS512`, `veds512`), `alg is "veds512"`},
		{"alg EdDSA", replace(`VEDS512`, `EdDSA`), `alg is "EdDSA"`},
		{"typ", replace(`"JWT"`, `"jwt"`), `typ is "jwt"`},
		{"cty version", replace(`v=1`, `v=2`), `cty is "virgil-jwt;v=2"`},
		{"kid other", replace(testAppKeyID, "other"), `kid is "other"`},
		{"kid long", replace(testAppKeyID, strings.Repeat("k", 5000)), "(5000 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := jwt.Parse(signRaw(t, tt.header, validBody))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = tok.Verify(public, testAppKeyID)
			if !errors.Is(err, jwt.ErrHeader) {
				t.Fatalf("Verify error = %v, want ErrHeader", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify error %q does not contain %q", err, tt.want)
			}
			if len(err.Error()) > 300 {
				t.Errorf("Verify error has %d bytes, want at most 300", len(err.Error()))
			}
		})
	}
}

func TestParseRejectsEncoding(t *testing.T) {
	// A body of 1 mod 3 bytes needs two padding characters in base64.
	body := validBody
	for len(body)%3 != 1 {
		body += " "
	}
	token := signRaw(t, validHeader, body)
	parts := strings.Split(token, ".")
	padded := base64.URLEncoding.EncodeToString([]byte(body))
	// The last character of a segment whose length is 2 mod 4 carries 4
	// unused bits, so setting one gives a second text for the same bytes.
	nonCanonical := []byte(parts[1])
	if len(nonCanonical)%4 != 2 {
		t.Fatalf("test body segment length %d, want 2 mod 4", len(nonCanonical))
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, nonCanonical[len(nonCanonical)-1])
	nonCanonical[len(nonCanonical)-1] = alphabet[last|1]
	standardSignature := strings.NewReplacer("-", "+", "_", "/").Replace(parts[2])
	if standardSignature == parts[2] {
		t.Fatalf("test signature has no URL-safe characters; change the body")
	}

	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"one part", parts[0]},
		{"two parts", parts[0] + "." + parts[1]},
		{"four parts", token + "." + parts[2]},
		{"padded body", parts[0] + "." + padded + "." + parts[2]},
		{"standard base64 signature", parts[0] + "." + parts[1] + "." + standardSignature},
		{"newline in body", parts[0] + "." + parts[1][:10] + "\n" + parts[1][10:] + "." + parts[2]},
		{"CR in signature", parts[0] + "." + parts[1] + "." + parts[2][:10] + "\r" + parts[2][10:]},
		{"space in header", parts[0][:5] + " " + parts[0][5:] + "." + parts[1] + "." + parts[2]},
		{"non-canonical trailing bits", parts[0] + "." + string(nonCanonical) + "." + parts[2]},
		{"signature not base64url", parts[0] + "." + parts[1] + ".@@@@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := jwt.Parse(tt.token); !errors.Is(err, jwt.ErrMalformed) {
				t.Errorf("Parse error = %v, want ErrMalformed", err)
			}
		})
	}
	t.Run("original parses", func(t *testing.T) {
		if _, err := jwt.Parse(token); err != nil {
			t.Errorf("Parse: %v", err)
		}
	})
}
