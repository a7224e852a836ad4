package jwt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
)

// ParsePrivateKey imports an App Key: standard base64 of PKCS#8 DER (the
// form Virgil hands out, whitespace and line breaks allowed), PEM with type
// "PRIVATE KEY", or raw PKCS#8 DER. The key must be Ed25519 and not
// encrypted. Errors wrap [ErrKey] and never contain key material.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	der, err := keyDER(data, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		if _, pubErr := x509.ParsePKIXPublicKey(der); pubErr == nil {
			return nil, fmt.Errorf("%w: got a public key where an Ed25519 private key is expected", ErrKey)
		}
		return nil, fmt.Errorf("%w: not a PKCS#8 private key", ErrKey)
	}
	private, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: got a %T, expected an Ed25519 private key", ErrKey, key)
	}
	return private, nil
}

// ParsePublicKey imports an App public key: standard base64 of SPKI DER
// (whitespace and line breaks allowed), PEM with type "PUBLIC KEY", or raw
// SPKI DER. The key must be Ed25519. Errors wrap [ErrKey].
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	der, err := keyDER(data, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		if _, privErr := x509.ParsePKCS8PrivateKey(der); privErr == nil {
			return nil, fmt.Errorf("%w: got a private key where an Ed25519 public key is expected", ErrKey)
		}
		return nil, fmt.Errorf("%w: not an SPKI public key", ErrKey)
	}
	public, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: got a %T, expected an Ed25519 public key", ErrKey, key)
	}
	return public, nil
}

// keyDER returns the DER bytes of a key given as PEM of pemType, as
// standard base64 or as raw DER.
func keyDER(data []byte, pemType string) ([]byte, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: empty value", ErrKey)
	}
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		block, _ := pem.Decode(trimmed)
		if block == nil {
			return nil, fmt.Errorf("%w: malformed PEM", ErrKey)
		}
		if block.Type != pemType {
			return nil, fmt.Errorf("%w: got PEM type %q, expected %q", ErrKey, block.Type, pemType)
		}
		return block.Bytes, nil
	}
	if trimmed[0] == 0x30 {
		return trimmed, nil
	}
	compact := bytes.Join(bytes.Fields(trimmed), nil)
	der := make([]byte, base64.StdEncoding.DecodedLen(len(compact)))
	n, err := base64.StdEncoding.Decode(der, compact)
	if err != nil {
		return nil, fmt.Errorf("%w: neither PEM, base64 nor DER", ErrKey)
	}
	return der[:n], nil
}
