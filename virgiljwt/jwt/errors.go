package jwt

import "errors"

// Errors returned by this package. Callers test for them with errors.Is;
// the returned errors wrap them with the details of the failure.
var (
	// ErrMalformed means the text is not a well-formed Virgil JWT: wrong
	// number of parts, bad base64url, bad or ambiguous JSON, or a claim or
	// header field that is missing or of the wrong type. See [Parse].
	ErrMalformed = errors.New("malformed token")

	// ErrHeader means a header field (alg, typ, cty or kid) does not have
	// the value a Virgil JWT signed with the expected App Key must have.
	ErrHeader = errors.New("unexpected token header")

	// ErrSignature means the signature does not verify with the App public
	// key, or is not a VEDS512 signature.
	ErrSignature = errors.New("invalid token signature")

	// ErrExpired means the token is genuine but its exp time has passed.
	ErrExpired = errors.New("token expired")

	// ErrIdentity means an identity is empty, whitespace only or not valid
	// UTF-8. Parse returns it, together with ErrMalformed, for a token whose
	// sub claim contains such an identity.
	ErrIdentity = errors.New("invalid identity")

	// ErrAdditionalData means an additional data name or value is not
	// valid UTF-8, or a name is empty.
	ErrAdditionalData = errors.New("invalid additional data")

	// ErrKey means a value given as an App Key or App public key could not
	// be imported.
	ErrKey = errors.New("invalid key")
)
