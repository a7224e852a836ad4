package virgiljwt

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

// warnRiskySettings logs a Warn for each setting an operator should fix or
// be aware of. The lines never contain a configured credential's value,
// because a misplaced App Key could sit in any of them. Only a development
// key's random App ID, App Key ID and public key are logged.
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
		h.warnInlineAppKey()
	}
	h.warnIdentity()
	h.warnAdditionalDataSources()

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

// warnInlineAppKey logs a Warn when app_key contains no placeholder, so
// that the App Key itself is part of the config.
func (h *Handler) warnInlineAppKey() {
	if len(placeholderKeys(h.AppKey)) > 0 {
		return
	}
	h.logger.Warn("app_key is inline in the config",
		zap.String("exposed_by", "caddy adapt, the admin API's /config/ endpoint, autosave.json and, with the debug option, the Debug line \"adjusted config\", which all output the config"),
		zap.String("note", "a Caddyfile {$VAR} is replaced by its value when the Caddyfile is adapted, so it is inline too. Use {env.VIRGIL_APP_KEY} or {file./path/to/app_key}, which the handler expands at startup"))
}

// warnAdditionalDataSources logs a Warn for each additional_data value that
// reads an environment variable or a file, because a value that comes
// from the server's secrets by mistake would reach every client.
func (h *Handler) warnAdditionalDataSources() {
	for _, name := range slices.Sorted(maps.Keys(h.AdditionalData)) {
		for _, key := range placeholderKeys(h.AdditionalData[name]) {
			if !strings.HasPrefix(key, "env.") && !strings.HasPrefix(key, "file.") {
				continue
			}
			h.logger.Warn("additional_data reads {env.*} or {file.*}",
				zap.String("name", name),
				zap.String("placeholder", "{"+key+"}"),
				zap.String("note", "tokens carry additional data in clear text, so every client can read this value"))
		}
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
