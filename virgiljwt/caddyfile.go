package virgiljwt

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("virgil_jwt", parseCaddyfile)

	// Just before respond, so the handler runs after basic_auth and
	// forward_auth without an order line, like other responding handlers.
	httpcaddyfile.RegisterDirectiveOrder("virgil_jwt", httpcaddyfile.Before, "respond")
}

// parseCaddyfile sets up the handler from Caddyfile tokens.
func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	handler := new(Handler)
	if err := handler.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return handler, nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	virgil_jwt [<matcher>] {
//	    app_id          <app_id>
//	    app_key_id      <app_key_id>
//	    app_key         <app_key>
//	    identity        <identity>
//	    ttl             <duration>
//	    additional_data <name> <value>
//	    token_field     <name>
//	    development_key
//	    log_identity
//	}
//
// The credentials app_id, app_key_id and app_key are usually placeholders
// such as {env.VIRGIL_APP_KEY} or {file./run/secrets/virgil_app_key},
// expanded once at startup. Either all three or development_key are
// required. identity defaults to {http.auth.user.id}, ttl to 20m, and
// token_field to virgilToken. additional_data may be repeated with
// different names, and its values may contain placeholders, which are
// expanded for every request.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.ArgErr()
	}

	seen := make(map[string]bool)
	for d.NextBlock(0) {
		option := d.Val()
		if seen[option] && option != "additional_data" {
			return d.Errf("duplicate subdirective %s", option)
		}
		seen[option] = true

		var err error
		switch option {
		case "app_id":
			h.AppID, err = parseSingleArg(d)
		case "app_key_id":
			h.AppKeyID, err = parseSingleArg(d)
		case "app_key":
			h.AppKey, err = parseSingleArg(d)
		case "identity":
			h.Identity, err = parseSingleArg(d)
		case "ttl":
			err = h.parseTTL(d)
		case "additional_data":
			err = h.parseAdditionalData(d)
		case "token_field":
			h.TokenField, err = parseSingleArg(d)
		case "development_key":
			h.DevelopmentKey, err = true, parseNoArgs(d)
		case "log_identity":
			h.LogIdentity, err = true, parseNoArgs(d)
		default:
			return d.Errf("unrecognized subdirective %s", option)
		}
		if err != nil {
			return err
		}
	}

	if h.DevelopmentKey && (h.AppID != "" || h.AppKeyID != "" || h.AppKey != "") {
		return d.Err(errDevelopmentKeyConflict.Error())
	}
	return nil
}

// parseSingleArg returns the one non-empty argument of the current
// subdirective.
func parseSingleArg(d *caddyfile.Dispenser) (string, error) {
	option := d.Val()
	if !d.NextArg() {
		return "", d.ArgErr()
	}
	value := d.Val()
	if d.NextArg() {
		return "", d.ArgErr()
	}
	if value == "" {
		return "", d.Errf("%s must not be empty", option)
	}
	return value, nil
}

// parseNoArgs returns an error if the current subdirective has arguments.
func parseNoArgs(d *caddyfile.Dispenser) error {
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

func (h *Handler) parseTTL(d *caddyfile.Dispenser) error {
	text, err := parseSingleArg(d)
	if err != nil {
		return err
	}
	ttl, err := caddy.ParseDuration(text)
	if err != nil {
		return d.Errf("ttl: invalid duration %q: %v", text, err)
	}
	if err := checkTTL(ttl); err != nil {
		return d.Errf("ttl: %v", err)
	}
	h.TTL = caddy.Duration(ttl)
	return nil
}

func (h *Handler) parseAdditionalData(d *caddyfile.Dispenser) error {
	args := d.RemainingArgs()
	if len(args) != 2 {
		return d.ArgErr()
	}
	name, value := args[0], args[1]
	if name == "" {
		return d.Err("additional_data: name must not be empty")
	}
	if _, ok := h.AdditionalData[name]; ok {
		return d.Errf("additional_data: duplicate name %q", name)
	}
	if h.AdditionalData == nil {
		h.AdditionalData = make(map[string]string)
	}
	h.AdditionalData[name] = value
	return nil
}
