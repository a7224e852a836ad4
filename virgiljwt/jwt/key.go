package jwt

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"fmt"
)

// PEM block types of the key forms this package imports or recognizes.
const (
	pemPrivateKey          = "PRIVATE KEY"
	pemPublicKey           = "PUBLIC KEY"
	pemEncryptedPrivateKey = "ENCRYPTED PRIVATE KEY"
)

// ParsePrivateKey imports an App Key given in any of these forms:
//
//   - standard base64 of PKCS#8 DER, the form Virgil hands out; URL-safe
//     base64, missing padding, line breaks and other whitespace are
//     accepted too;
//   - PEM with block type "PRIVATE KEY";
//   - raw PKCS#8 DER.
//
// The key must be an unencrypted Ed25519 key. Errors wrap [ErrKey], say
// which form was found and what is expected, and never contain key
// material.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	der, err := keyDER(data, pemPrivateKey)
	if err != nil {
		return nil, err
	}

	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %s, expected an Ed25519 private key in PKCS#8 form", ErrKey, describeDER(der))
	}
	private, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: got %s private key, expected an Ed25519 private key", ErrKey, keyAlgorithm(key))
	}
	return private, nil
}

// ParsePublicKey imports an App public key given in any of these forms:
//
//   - standard base64 of SPKI (PKIX) DER, as Virgil shows it; URL-safe
//     base64, missing padding, line breaks and other whitespace are
//     accepted too;
//   - PEM with block type "PUBLIC KEY";
//   - raw SPKI DER.
//
// The key must be an Ed25519 key. Errors wrap [ErrKey] and never contain
// key material.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	der, err := keyDER(data, pemPublicKey)
	if err != nil {
		return nil, err
	}

	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %s, expected an Ed25519 public key in SPKI form", ErrKey, describeDER(der))
	}
	public, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: got %s public key, expected an Ed25519 public key", ErrKey, keyAlgorithm(key))
	}
	return public, nil
}

// keyDER returns the DER bytes of a key given as PEM of type pemType, as
// base64 text or as raw DER.
func keyDER(data []byte, pemType string) ([]byte, error) {
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return nil, fmt.Errorf("%w: empty value, expected a base64, PEM or DER key", ErrKey)
	case bytes.Contains(trimmed, []byte("-----BEGIN ")):
		return pemDER(trimmed, pemType)
	case isBase64Text(trimmed):
		return decodeBase64Key(trimmed)
	case data[0] == 0x30:
		// Raw DER is binary, so it is not trimmed: a key may end in a byte
		// that happens to be a space or newline.
		return data, nil
	default:
		return nil, fmt.Errorf("%w: value is neither base64, PEM nor DER", ErrKey)
	}
}

// pemDER returns the bytes of the single PEM block in data, which must be
// of type pemType.
func pemDER(data []byte, pemType string) ([]byte, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: malformed PEM block, expected PEM of type %q", ErrKey, pemType)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("%w: more than one PEM block, expected a single %q block", ErrKey, pemType)
	}
	if len(block.Headers) > 0 {
		return nil, fmt.Errorf("%w: PEM block has headers, which mark a legacy encrypted key; expected an unencrypted %q block", ErrKey, pemType)
	}
	if block.Type == pemType {
		return block.Bytes, nil
	}

	// Name the block type only when it is one this package recognizes,
	// so that the error never repeats arbitrary input.
	switch block.Type {
	case pemEncryptedPrivateKey:
		return nil, fmt.Errorf("%w: got an encrypted private key, expected an unencrypted %q block; decrypt it first, for example with openssl pkcs8", ErrKey, pemType)
	case pemPrivateKey:
		return nil, fmt.Errorf("%w: got a private key, expected a %q block", ErrKey, pemType)
	case pemPublicKey:
		return nil, fmt.Errorf("%w: got a public key, expected a %q block", ErrKey, pemType)
	case "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "CERTIFICATE", "RSA PUBLIC KEY":
		return nil, fmt.Errorf("%w: got PEM type %q, expected %q", ErrKey, block.Type, pemType)
	default:
		return nil, fmt.Errorf("%w: unexpected PEM type, expected %q", ErrKey, pemType)
	}
}

// isBase64Text reports whether data consists only of characters of the
// standard or URL-safe base64 alphabets, padding and whitespace.
func isBase64Text(data []byte) bool {
	for _, c := range data {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '+', c == '/', c == '-', c == '_', c == '=':
		case c == ' ', c == '\t', c == '\n', c == '\r', c == '\v', c == '\f':
		default:
			return false
		}
	}
	return true
}

// decodeBase64Key decodes text that passed [isBase64Text]. It accepts the
// standard and the URL-safe alphabet, with or without padding, because
// users copy keys through tools that change one into the other.
func decodeBase64Key(text []byte) ([]byte, error) {
	compact := make([]byte, 0, len(text))
	for _, c := range text {
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
		case '-':
			compact = append(compact, '+')
		case '_':
			compact = append(compact, '/')
		default:
			compact = append(compact, c)
		}
	}
	unpadded := bytes.TrimRight(compact, "=")
	if padding := len(compact) - len(unpadded); padding > 2 || (padding > 0 && len(compact)%4 != 0) {
		return nil, fmt.Errorf("%w: invalid base64 padding", ErrKey)
	}

	der := make([]byte, base64.RawStdEncoding.DecodedLen(len(unpadded)))
	n, err := base64.RawStdEncoding.Decode(der, unpadded)
	if err != nil {
		return nil, fmt.Errorf("%w: invalid base64 (the value may be truncated)", ErrKey)
	}
	if n == 0 || der[0] != 0x30 {
		return nil, fmt.Errorf("%w: base64 value does not decode to a DER key", ErrKey)
	}
	return der[:n], nil
}

// encryptedPrivateKeyInfo is the PKCS#8 EncryptedPrivateKeyInfo structure
// of RFC 5208, section 6.
type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

// describeDER names what der holds, for an error message, when it is not
// the key that was expected.
func describeDER(der []byte) string {
	if key, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return "got " + keyAlgorithm(key) + " private key"
	}
	if key, err := x509.ParsePKIXPublicKey(der); err == nil {
		return "got " + keyAlgorithm(key) + " public key"
	}
	var encrypted encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &encrypted); err == nil && len(rest) == 0 {
		return "got an encrypted PKCS#8 private key (decrypt it first, for example with openssl pkcs8)"
	}
	if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return "got an RSA private key in PKCS#1 form"
	}
	if _, err := x509.ParseECPrivateKey(der); err == nil {
		return "got an EC private key in SEC 1 form"
	}
	if _, err := x509.ParseCertificate(der); err == nil {
		return "got an X.509 certificate"
	}
	var raw asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &raw); err != nil || len(rest) > 0 {
		return "got invalid or truncated DER"
	}
	return "got an unrecognized DER structure"
}

// keyAlgorithm names the algorithm of a key returned by the x509 parsers,
// with an article, for error messages.
func keyAlgorithm(key any) string {
	switch key := key.(type) {
	case ed25519.PrivateKey, ed25519.PublicKey:
		return "an Ed25519"
	case *rsa.PrivateKey, *rsa.PublicKey:
		return "an RSA"
	case *ecdsa.PrivateKey:
		return "an ECDSA " + key.Curve.Params().Name
	case *ecdsa.PublicKey:
		return "an ECDSA " + key.Curve.Params().Name
	case *ecdh.PrivateKey:
		return "an " + curveName(key.Curve())
	case *ecdh.PublicKey:
		return "an " + curveName(key.Curve())
	default:
		return fmt.Sprintf("a %T", key)
	}
}

// curveName names the ECDH curves that x509 returns as *ecdh keys.
func curveName(curve ecdh.Curve) string {
	if curve == ecdh.X25519() {
		return "X25519"
	}
	return "ECDH"
}
