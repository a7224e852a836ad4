package jwt_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

// keyForms returns the forms in which users hold a key, built from the
// standard base64 text that Virgil hands out.
func keyForms(t *testing.T, b64, pemType string) map[string][]byte {
	t.Helper()
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	wrapped := b64[:20] + "\n" + b64[20:40] + "\r\n" + b64[40:]
	return map[string][]byte{
		"base64":                   []byte(b64),
		"base64 trailing newline":  []byte(b64 + "\n"),
		"base64 trailing CRLF":     []byte(b64 + "\r\n"),
		"base64 surrounding space": []byte("  \t" + b64 + " \n"),
		"base64 line-wrapped":      []byte(wrapped),
		"base64 unpadded":          []byte(strings.TrimRight(b64, "=")),
		"base64 URL-safe":          []byte(base64.URLEncoding.EncodeToString(der)),
		"base64 URL-safe unpadded": []byte(base64.RawURLEncoding.EncodeToString(der)),
		"PEM":                      pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der}),
		"PEM CRLF":                 bytes.ReplaceAll(pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der}), []byte("\n"), []byte("\r\n")),
		"PEM without newline":      bytes.TrimSpace(pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der})),
		"DER":                      der,
	}
}

func TestParsePrivateKeyForms(t *testing.T) {
	want, err := base64.StdEncoding.DecodeString(testAppKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range keyForms(t, testAppKey, "PRIVATE KEY") {
		t.Run(name, func(t *testing.T) {
			key, err := jwt.ParsePrivateKey(data)
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			der, err := x509.MarshalPKCS8PrivateKey(key)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(der, want) {
				t.Errorf("ParsePrivateKey returned a different key")
			}
		})
	}
}

func TestParsePublicKeyForms(t *testing.T) {
	want, err := base64.StdEncoding.DecodeString(testAppPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range keyForms(t, testAppPublicKey, "PUBLIC KEY") {
		t.Run(name, func(t *testing.T) {
			key, err := jwt.ParsePublicKey(data)
			if err != nil {
				t.Fatalf("ParsePublicKey: %v", err)
			}
			der, err := x509.MarshalPKIXPublicKey(key)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(der, want) {
				t.Errorf("ParsePublicKey returned a different key")
			}
		})
	}
}

func TestKeyPairMatches(t *testing.T) {
	private, public := testKeys(t)
	if !public.Equal(private.Public()) {
		t.Errorf("the test App public key is not the public half of the test App Key")
	}
}

// otherKeys holds DER keys of the kinds an App Key must not be.
type otherKeys struct {
	rsaPKCS8, rsaPKCS1, rsaSPKI   []byte
	ecdsaPKCS8, ecdsaSEC1, ecSPKI []byte
	x25519PKCS8, x25519SPKI       []byte
	encryptedPKCS8                []byte
	certificate                   []byte
}

func makeOtherKeys(t *testing.T) otherKeys {
	t.Helper()
	var k otherKeys
	var err error

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k.rsaPKCS8 = must(t)(x509.MarshalPKCS8PrivateKey(rsaKey))
	k.rsaPKCS1 = x509.MarshalPKCS1PrivateKey(rsaKey)
	k.rsaSPKI = must(t)(x509.MarshalPKIXPublicKey(&rsaKey.PublicKey))

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k.ecdsaPKCS8 = must(t)(x509.MarshalPKCS8PrivateKey(ecKey))
	k.ecdsaSEC1 = must(t)(x509.MarshalECPrivateKey(ecKey))
	k.ecSPKI = must(t)(x509.MarshalPKIXPublicKey(&ecKey.PublicKey))

	xKey, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k.x25519PKCS8 = must(t)(x509.MarshalPKCS8PrivateKey(xKey))
	k.x25519SPKI = must(t)(x509.MarshalPKIXPublicKey(xKey.PublicKey()))

	k.encryptedPKCS8 = encryptedPKCS8(t)

	private, _ := testKeys(t)
	template := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"}}
	k.certificate = must(t)(x509.CreateCertificate(rand.Reader, template, template, private.Public(), private))
	return k
}

// encryptedPKCS8 builds a PKCS#8 EncryptedPrivateKeyInfo (RFC 5208,
// section 6) as OpenSSL writes for "openssl pkcs8 -topk8" with PBES2. The
// ciphertext is random bytes: only the structure matters here.
func encryptedPKCS8(t *testing.T) []byte {
	t.Helper()
	type algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
	type pbkdf2Params struct {
		Salt       []byte
		Iterations int
		PRF        algorithm
	}
	type pbes2Params struct {
		KeyDerivation algorithm
		Encryption    algorithm
	}
	type encryptedPrivateKeyInfo struct {
		Algorithm     algorithm
		EncryptedData []byte
	}

	marshal := func(v any) asn1.RawValue {
		der, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return asn1.RawValue{FullBytes: der}
	}
	salt := make([]byte, 16)
	iv := make([]byte, 16)
	ciphertext := make([]byte, 64)
	for _, b := range [][]byte{salt, iv, ciphertext} {
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
	}
	hmacSHA256 := algorithm{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}, Parameters: asn1.NullRawValue}
	params := pbes2Params{
		KeyDerivation: algorithm{
			Algorithm:  asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12},
			Parameters: marshal(pbkdf2Params{Salt: salt, Iterations: 2048, PRF: hmacSHA256}),
		},
		Encryption: algorithm{
			Algorithm:  asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42},
			Parameters: marshal(iv),
		},
	}
	info := encryptedPrivateKeyInfo{
		Algorithm:     algorithm{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}, Parameters: marshal(params)},
		EncryptedData: ciphertext,
	}
	der, err := asn1.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func must(t *testing.T) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

func b64(der []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(der)) }

func pemBlock(blockType string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
}

type keyErrorCase struct {
	name string
	data []byte
	want string // a phrase the error must contain
}

func TestParsePrivateKeyErrors(t *testing.T) {
	k := makeOtherKeys(t)
	publicDER, err := base64.StdEncoding.DecodeString(testAppPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []keyErrorCase{
		{"empty", nil, "empty value"},
		{"whitespace only", []byte(" \r\n\t"), "empty value"},
		{"public key base64", []byte(testAppPublicKey), "got an Ed25519 public key"},
		{"public key DER", publicDER, "got an Ed25519 public key"},
		{"public key PEM", pemBlock("PUBLIC KEY", publicDER), "got a public key"},
		{"RSA PKCS#8", b64(k.rsaPKCS8), "got an RSA private key"},
		{"RSA PKCS#1 DER", k.rsaPKCS1, "RSA private key in PKCS#1 form"},
		{"RSA PKCS#1 PEM", pemBlock("RSA PRIVATE KEY", k.rsaPKCS1), `got PEM type "RSA PRIVATE KEY"`},
		{"ECDSA PKCS#8", b64(k.ecdsaPKCS8), "got an ECDSA P-256 private key"},
		{"EC SEC 1 base64", b64(k.ecdsaSEC1), "EC private key in SEC 1 form"},
		{"EC SEC 1 PEM", pemBlock("EC PRIVATE KEY", k.ecdsaSEC1), `got PEM type "EC PRIVATE KEY"`},
		{"X25519 PKCS#8", b64(k.x25519PKCS8), "got an X25519 private key"},
		{"encrypted PKCS#8 DER", k.encryptedPKCS8, "encrypted PKCS#8 private key"},
		{"encrypted PKCS#8 base64", b64(k.encryptedPKCS8), "encrypted PKCS#8 private key"},
		{"encrypted PKCS#8 PEM", pemBlock("ENCRYPTED PRIVATE KEY", k.encryptedPKCS8), "got an encrypted private key"},
		{"legacy encrypted PEM", []byte("-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n" + testAppKey + "\n-----END PRIVATE KEY-----\n"), "PEM block has headers"},
		{"certificate", b64(k.certificate), "X.509 certificate"},
		{"unknown PEM type", pemBlock("SECRET STUFF", []byte{0x30, 0}), "unexpected PEM type"},
		{"two PEM blocks", append(pemBlock("PRIVATE KEY", []byte{1}), pemBlock("PRIVATE KEY", []byte{2})...), "more than one PEM block"},
		{"truncated PEM", []byte("-----BEGIN PRIVATE KEY-----\n" + testAppKey + "\n"), "malformed PEM"},
		{"truncated base64", []byte(testAppKey[:len(testAppKey)-5]), "expected an Ed25519 private key"},
		{"base64 starting with 0", []byte("0" + testAppKey[1:]), "base64 value does not decode to a DER key"},
		{"bad padding", []byte(testAppKey + "==="), "invalid base64 padding"},
		{"prose", []byte("the key is in the vault!"), "neither base64, PEM nor DER"},
		{"words in base64 alphabet", []byte("not a key"), "base64 value does not decode to a DER key"},
		{"DER of nothing", []byte{0x30, 0x03, 0x02, 0x01}, "got invalid or truncated DER"},
		{"DER sequence of integer", []byte{0x30, 0x03, 0x02, 0x01, 0x00}, "unrecognized DER structure"},
		{"Ed25519 seed only", b64(ed25519SeedOf(t)), "does not decode to a DER key"},
	}
	runKeyErrors(t, tests, func(data []byte) error {
		_, err := jwt.ParsePrivateKey(data)
		return err
	})
}

func TestParsePublicKeyErrors(t *testing.T) {
	k := makeOtherKeys(t)
	privateDER, err := base64.StdEncoding.DecodeString(testAppKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []keyErrorCase{
		{"empty", nil, "empty value"},
		{"private key base64", []byte(testAppKey), "got an Ed25519 private key"},
		{"private key DER", privateDER, "got an Ed25519 private key"},
		{"private key PEM", pemBlock("PRIVATE KEY", privateDER), "got a private key"},
		{"encrypted private key PEM", pemBlock("ENCRYPTED PRIVATE KEY", k.encryptedPKCS8), "got an encrypted private key"},
		{"RSA SPKI", b64(k.rsaSPKI), "got an RSA public key"},
		{"ECDSA SPKI", b64(k.ecSPKI), "got an ECDSA P-256 public key"},
		{"X25519 SPKI", b64(k.x25519SPKI), "got an X25519 public key"},
		{"X25519 SPKI PEM", pemBlock("PUBLIC KEY", k.x25519SPKI), "got an X25519 public key"},
		{"certificate PEM", pemBlock("CERTIFICATE", k.certificate), `got PEM type "CERTIFICATE"`},
		{"truncated base64", []byte(testAppPublicKey[:30]), "expected an Ed25519 public key"},
		{"prose", []byte("see the dashboard."), "neither base64, PEM nor DER"},
	}
	runKeyErrors(t, tests, func(data []byte) error {
		_, err := jwt.ParsePublicKey(data)
		return err
	})
}

func runKeyErrors(t *testing.T, tests []keyErrorCase, parse func([]byte) error) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parse(tt.data)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, jwt.ErrKey) {
				t.Errorf("error %q does not wrap ErrKey", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if leak := keyMaterialIn(err.Error(), tt.data); leak != "" {
				t.Errorf("error contains key material %q", leak)
			}
		})
	}
}

// keyMaterialIn returns a run of at least 24 base64 characters of data, or
// 16 bytes of its DER form, that message contains, or "".
func keyMaterialIn(message string, data []byte) string {
	const minRun = 24
	run := 0
	for i := 0; i <= len(data); i++ {
		if i < len(data) && isBase64Char(data[i]) {
			run++
			continue
		}
		if run >= minRun && strings.Contains(message, string(data[i-run:i])) {
			return string(data[i-run : i])
		}
		run = 0
	}
	for i := 0; i+16 <= len(data); i++ {
		if strings.Contains(message, string(data[i:i+16])) {
			return string(data[i : i+16])
		}
	}
	return ""
}

func isBase64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '+' || c == '/' || c == '-' || c == '_'
}

func ed25519SeedOf(t *testing.T) []byte {
	private, _ := testKeys(t)
	return private.Seed()
}

// TestParsePrivateKeyDERTrailingSpace checks that raw DER is not trimmed:
// a key whose DER ends in a byte equal to a space or newline must import.
func TestParsePrivateKeyDERTrailingSpace(t *testing.T) {
	for _, last := range []byte{' ', '\n', '\r', '\t'} {
		seed := make([]byte, ed25519.SeedSize)
		seed[len(seed)-1] = last
		der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(seed))
		if err != nil {
			t.Fatal(err)
		}
		if der[len(der)-1] != last {
			t.Fatalf("DER ends in %#x, want %#x", der[len(der)-1], last)
		}
		key, err := jwt.ParsePrivateKey(der)
		if err != nil {
			t.Errorf("ParsePrivateKey(DER ending in %#x): %v", last, err)
			continue
		}
		if !bytes.Equal(key.Seed(), seed) {
			t.Errorf("ParsePrivateKey(DER ending in %#x) returned a different key", last)
		}
	}
}
