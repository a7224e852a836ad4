package jwt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
)

// signaturePrefix is the DER encoding that precedes the 64 signature bytes:
//
//	SEQUENCE {
//	    SEQUENCE { OID 2.16.840.1.101.3.4.2.3 (SHA-512), NULL },
//	    OCTET STRING (64 bytes)
//	}
//
// Virgil's crypto libraries write this structure for Ed25519 signatures over
// a SHA-512 digest, which the format names VEDS512.
var signaturePrefix = []byte{
	0x30, 0x51,
	0x30, 0x0d,
	0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03,
	0x05, 0x00,
	0x04, 0x40,
}

// sign returns the DER-wrapped Ed25519 signature of the SHA-512 digest of
// signingInput.
func sign(key ed25519.PrivateKey, signingInput []byte) []byte {
	digest := sha512.Sum512(signingInput)
	out := make([]byte, 0, len(signaturePrefix)+ed25519.SignatureSize)
	out = append(out, signaturePrefix...)
	return append(out, ed25519.Sign(key, digest[:])...)
}

// verifySignature reports whether der is a VEDS512 signature of
// signingInput made with the private key of pub.
func verifySignature(pub ed25519.PublicKey, signingInput string, der []byte) bool {
	if len(der) != len(signaturePrefix)+ed25519.SignatureSize || !bytes.HasPrefix(der, signaturePrefix) {
		return false
	}
	digest := sha512.Sum512([]byte(signingInput))
	return ed25519.Verify(pub, digest[:], der[len(signaturePrefix):])
}
