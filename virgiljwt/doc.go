// Package virgiljwt is a Caddy HTTP handler that mints Virgil access tokens
// (Virgil JWTs) for the identity that an authentication handler earlier in
// the route has set. Its module ID is http.handlers.virgil_jwt, and its
// Caddyfile directive is virgil_jwt.
//
// The directive orders itself just before respond, so it runs after
// basic_auth and forward_auth without an order line:
//
//	example.com {
//	    basic_auth {
//	        alice <hashed_password>
//	    }
//	    virgil_jwt {
//	        app_id     {env.VIRGIL_APP_ID}
//	        app_key_id {env.VIRGIL_APP_KEY_ID}
//	        app_key    {file./run/secrets/virgil_app_key}
//	    }
//	}
//
// The token format itself is in package virgiljwt/jwt, which has no Caddy
// imports.
package virgiljwt
