package virgiljwt

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"go.uber.org/zap"
)

// warnRiskySettings logs a Warn for each setting an operator should fix or
// be aware of. The lines never contain a credential's value, because a
// misplaced App Key could sit in any of them.
func (h *Handler) warnRiskySettings(creds credentials) {
	if creds.development {
		h.logger.Warn("using a throwaway development App Key",
			zap.String("app_id", creds.appID),
			zap.String("app_key_id", creds.appKeyID),
			zap.String("app_public_key", publicKeyBase64(creds.appKey.Public().(ed25519.PublicKey))),
			zap.String("note", "for local development only: Virgil's service rejects these tokens, and every config load generates a new App Key"),
		)
	} else {
		h.warnCredentialForms(creds)
	}
	h.warnIdentity()

	if ttl := time.Duration(h.TTL); ttl > longTTL {
		h.logger.Warn("ttl is longer than 24h",
			zap.String("ttl", ttl.String()),
			zap.String("note", "tokens cannot be revoked, so a leaked one stays valid until it expires. E3Kit fetches a new token by itself, so a short ttl costs little"))
	}
}

// warnCredentialForms logs a Warn for an App ID or App Key ID that does
// not have the form of a Virgil ID. It logs only the length, because an
// unexpected value may be a secret pasted into the wrong setting.
func (h *Handler) warnCredentialForms(creds credentials) {
	const note = "Virgil's service rejects tokens with a wrong App ID or App Key ID"
	if !isVirgilID(creds.appID, appIDLengths...) {
		h.logger.Warn("app_id does not look like a Virgil App ID",
			zap.Int("length", len(creds.appID)),
			zap.String("expected", "32 or 64 hexadecimal characters"),
			zap.String("note", note))
	}
	if !isVirgilID(creds.appKeyID, appKeyIDLengths...) {
		h.logger.Warn("app_key_id does not look like a Virgil App Key ID",
			zap.Int("length", len(creds.appKeyID)),
			zap.String("expected", "32 or 128 hexadecimal characters"),
			zap.String("note", note))
	}
}

// warnIdentity logs a Warn for an identity setting that gives every user
// the same identity or uses an e-mail address.
func (h *Handler) warnIdentity() {
	keys := placeholderKeys(h.Identity)
	if len(keys) == 0 {
		h.logger.Warn("identity contains no placeholder",
			zap.String("note", "every user gets a token for the same identity. Use a placeholder such as {http.auth.user.id}"))
	}
	for _, key := range keys {
		if strings.Contains(strings.ToLower(key), "mail") {
			h.logger.Warn("identity uses an e-mail placeholder",
				zap.String("placeholder", "{"+key+"}"),
				zap.String("note", "Virgil advises against e-mail addresses as identities because they are personal data and can change. Use a stable user ID instead"))
		}
	}
}

// logReady writes the Info line that the handler is ready. It identifies
// the App Key by its ID and the SHA-256 of its public key, never by the
// key itself.
func (h *Handler) logReady(creds credentials) {
	fields := []zap.Field{
		zap.String("app_public_key_sha256", publicKeyFingerprint(h.publicKey)),
		zap.String("ttl", time.Duration(h.TTL).String()),
	}
	// An App Key ID of an unexpected form may be a misplaced secret.
	if creds.development || isVirgilID(creds.appKeyID, appKeyIDLengths...) {
		fields = append(fields, zap.String("app_key_id", creds.appKeyID))
	}
	h.logger.Info("Virgil token handler ready", fields...)
}

// publicKeyBase64 returns the standard base64 of the SPKI DER of key, the
// form Virgil's dashboard shows App public keys in.
func publicKeyBase64(key ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(publicKeyDER(key))
}

// publicKeyFingerprint returns the lowercase hexadecimal SHA-256 digest of
// the SPKI DER of key.
func publicKeyFingerprint(key ed25519.PublicKey) string {
	digest := sha256.Sum256(publicKeyDER(key))
	return hex.EncodeToString(digest[:])
}

func publicKeyDER(key ed25519.PublicKey) []byte {
	// MarshalPKIXPublicKey fails only for key types it does not support,
	// and Ed25519 is supported.
	der, _ := x509.MarshalPKIXPublicKey(key)
	return der
}
