package virgiljwt

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

// block returns a virgil_jwt directive with the given lines in its block.
func block(lines ...string) string {
	return "virgil_jwt {\n" + strings.Join(lines, "\n") + "\n}"
}

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		expected Handler
	}{
		{
			name:     "no block",
			input:    `virgil_jwt`,
			expected: Handler{},
		},
		{
			name:     "empty block",
			input:    block(),
			expected: Handler{},
		},
		{
			name: "every option",
			input: `virgil_jwt {
				app_id          {env.VIRGIL_APP_ID}
				app_key_id      {env.VIRGIL_APP_KEY_ID}
				app_key         {file./run/secrets/virgil_app_key}
				identity        user-{http.auth.user.id}
				ttl             1h30m
				additional_data role {http.auth.user.role}
				additional_data "display name" "{http.auth.user.name} (staff)"
				token_field     token
				log_identity
			}`,
			expected: Handler{
				AppID:    "{env.VIRGIL_APP_ID}",
				AppKeyID: "{env.VIRGIL_APP_KEY_ID}",
				AppKey:   "{file./run/secrets/virgil_app_key}",
				Identity: "user-{http.auth.user.id}",
				TTL:      caddy.Duration(90 * time.Minute),
				AdditionalData: map[string]string{
					"role":         "{http.auth.user.role}",
					"display name": "{http.auth.user.name} (staff)",
				},
				TokenField:  "token",
				LogIdentity: true,
			},
		},
		{
			name: "development key",
			input: `virgil_jwt {
				development_key
			}`,
			expected: Handler{DevelopmentKey: true},
		},
		{
			name:     "ttl in days",
			input:    block(`ttl 1d`),
			expected: Handler{TTL: caddy.Duration(24 * time.Hour)},
		},
		{
			name:     "ttl just over the minimum",
			input:    block(`ttl 6s`),
			expected: Handler{TTL: caddy.Duration(6 * time.Second)},
		},
		{
			name:     "additional_data with empty value",
			input:    block(`additional_data role ""`),
			expected: Handler{AdditionalData: map[string]string{"role": ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Handler
			if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input)); err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(h, tt.expected) {
				t.Errorf("got %+v, expected %+v", h, tt.expected)
			}
		})
	}
}

func TestUnmarshalCaddyfileErrors(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		errText string
	}{
		{name: "directive argument", input: `virgil_jwt foo`, errText: "wrong argument count"},
		{name: "unknown subdirective", input: block(`app_secret x`), errText: "unrecognized subdirective app_secret"},
		{name: "app_id without value", input: block(`app_id`), errText: "wrong argument count"},
		{name: "app_id two values", input: block(`app_id a b`), errText: "wrong argument count"},
		{name: "app_id empty", input: block(`app_id ""`), errText: "app_id must not be empty"},
		{name: "app_id twice", input: block(`app_id a`, `app_id b`), errText: "duplicate subdirective app_id"},
		{name: "app_key_id without value", input: block(`app_key_id`), errText: "wrong argument count"},
		{name: "app_key_id two values", input: block(`app_key_id a b`), errText: "wrong argument count"},
		{name: "app_key_id twice", input: block(`app_key_id a`, `app_key_id b`), errText: "duplicate subdirective app_key_id"},
		{name: "app_key without value", input: block(`app_key`), errText: "wrong argument count"},
		{name: "app_key two values", input: block(`app_key MC4C AQAw`), errText: "wrong argument count"},
		{name: "app_key empty", input: block(`app_key ""`), errText: "app_key must not be empty"},
		{name: "app_key twice", input: block(`app_key a`, `app_key b`), errText: "duplicate subdirective app_key"},
		{name: "identity without value", input: block(`identity`), errText: "wrong argument count"},
		{name: "identity two values", input: block(`identity {http.auth.user.id} x`), errText: "wrong argument count"},
		{name: "identity empty", input: block(`identity ""`), errText: "identity must not be empty"},
		{name: "identity twice", input: block(`identity a`, `identity b`), errText: "duplicate subdirective identity"},
		{name: "ttl without value", input: block(`ttl`), errText: "wrong argument count"},
		{name: "ttl two values", input: block(`ttl 1h 2h`), errText: "wrong argument count"},
		{name: "ttl bad duration", input: block(`ttl 20x`), errText: `ttl: invalid duration "20x"`},
		{name: "ttl number without unit", input: block(`ttl 1200`), errText: "ttl: invalid duration"},
		{name: "ttl 5s", input: block(`ttl 5s`), errText: "ttl: 5s is too short"},
		{name: "ttl 1s", input: block(`ttl 1s`), errText: "too short"},
		{name: "ttl negative", input: block(`ttl -10m`), errText: "ttl: -10m0s is not a positive duration"},
		{name: "ttl zero", input: block(`ttl 0s`), errText: "ttl: 0s is not a positive duration"},
		{name: "ttl fractional", input: block(`ttl 90.5s`), errText: "not a whole number of seconds"},
		{name: "ttl milliseconds", input: block(`ttl 10001ms`), errText: "not a whole number of seconds"},
		{name: "ttl twice", input: block(`ttl 1h`, `ttl 2h`), errText: "duplicate subdirective ttl"},
		{name: "additional_data without value", input: block(`additional_data role`), errText: "wrong argument count"},
		{name: "additional_data without name", input: block(`additional_data`), errText: "wrong argument count"},
		{name: "additional_data three values", input: block(`additional_data role a b`), errText: "wrong argument count"},
		{name: "additional_data empty name", input: block(`additional_data "" x`), errText: "additional_data: name must not be empty"},
		{name: "additional_data duplicate name", input: block(`additional_data role a`, `additional_data role b`), errText: `additional_data: duplicate name "role"`},
		{name: "token_field without value", input: block(`token_field`), errText: "wrong argument count"},
		{name: "token_field two values", input: block(`token_field a b`), errText: "wrong argument count"},
		{name: "token_field empty", input: block(`token_field ""`), errText: "token_field must not be empty"},
		{name: "token_field twice", input: block(`token_field a`, `token_field b`), errText: "duplicate subdirective token_field"},
		{name: "development_key with argument", input: block(`development_key yes`), errText: "wrong argument count"},
		{name: "development_key twice", input: block(`development_key`, `development_key`), errText: "duplicate subdirective development_key"},
		{name: "development_key with app_key", input: block(`development_key`, `app_key {env.K}`), errText: "development_key cannot be combined"},
		{name: "app_id with development_key", input: block(`app_id a`, `development_key`), errText: "development_key cannot be combined"},
		{name: "app_key_id with development_key", input: block(`app_key_id a`, `development_key`), errText: "development_key cannot be combined"},
		{name: "log_identity with argument", input: block(`log_identity true`), errText: "wrong argument count"},
		{name: "log_identity twice", input: block(`log_identity`, `log_identity`), errText: "duplicate subdirective log_identity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if err == nil {
				t.Fatalf("no error, expected one containing %q", tt.errText)
			}
			if !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("error %q does not contain %q", err, tt.errText)
			}
			if !strings.Contains(err.Error(), "Testfile:") {
				t.Errorf("error %q does not give the position", err)
			}
		})
	}
}

// adapt adapts a Caddyfile to JSON with Caddy's caddyfile adapter.
func adapt(t *testing.T, input string) []byte {
	t.Helper()
	out, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(input), nil)
	if err != nil {
		t.Fatalf("adapting Caddyfile: %v\n%s", err, input)
	}
	return out
}

// handlerNames returns the "handler" values of a JSON config in the order
// they appear, nested routes included.
func handlerNames(t *testing.T, config []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(config))
	var names []string
	expectName := false
	for {
		token, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		text, isString := token.(string)
		if expectName {
			if isString {
				names = append(names, text)
			}
			expectName = false
			continue
		}
		expectName = isString && text == "handler"
	}
}

// virgilHandlers returns the JSON objects of the virgil_jwt handlers in an
// adapted config.
func virgilHandlers(t *testing.T, config []byte) []map[string]any {
	t.Helper()
	var root any
	if err := json.Unmarshal(config, &root); err != nil {
		t.Fatal(err)
	}
	var found []map[string]any
	var walk func(node any)
	walk = func(node any) {
		switch v := node.(type) {
		case map[string]any:
			if v["handler"] == "virgil_jwt" {
				found = append(found, v)
			}
			for _, child := range v {
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	walk(root)
	return found
}

func TestAdaptJSON(t *testing.T) {
	config := adapt(t, `
		:8443 {
			virgil_jwt {
				app_id          {env.VIRGIL_APP_ID}
				app_key_id      {env.VIRGIL_APP_KEY_ID}
				app_key         {file./run/secrets/virgil_app_key}
				identity        {http.auth.user.sub}
				ttl             30m
				additional_data role {http.auth.user.role}
				token_field     token
				log_identity
			}
		}
	`)
	handlers := virgilHandlers(t, config)
	if len(handlers) != 1 {
		t.Fatalf("%d virgil_jwt handlers in %s, expected 1", len(handlers), config)
	}

	expected := map[string]any{
		"handler":         "virgil_jwt",
		"app_id":          "{env.VIRGIL_APP_ID}",
		"app_key_id":      "{env.VIRGIL_APP_KEY_ID}",
		"app_key":         "{file./run/secrets/virgil_app_key}",
		"identity":        "{http.auth.user.sub}",
		"ttl":             float64(30 * time.Minute),
		"additional_data": map[string]any{"role": "{http.auth.user.role}"},
		"token_field":     "token",
		"log_identity":    true,
	}
	if !reflect.DeepEqual(handlers[0], expected) {
		t.Errorf("handler JSON = %v, expected %v", handlers[0], expected)
	}
}

func TestAdaptOmitsDefaults(t *testing.T) {
	config := adapt(t, `
		:8443 {
			virgil_jwt {
				development_key
			}
		}
	`)
	handlers := virgilHandlers(t, config)
	if len(handlers) != 1 {
		t.Fatalf("%d virgil_jwt handlers in %s, expected 1", len(handlers), config)
	}
	expected := map[string]any{"handler": "virgil_jwt", "development_key": true}
	if !reflect.DeepEqual(handlers[0], expected) {
		t.Errorf("handler JSON = %v, expected %v", handlers[0], expected)
	}
}

// requireOrder fails unless each name in order appears in names, each one
// after the one before.
func requireOrder(t *testing.T, names []string, order ...string) {
	t.Helper()
	last := -1
	for _, name := range order {
		i := slices.Index(names, name)
		if i < 0 {
			t.Fatalf("handler %s missing from %v", name, names)
		}
		if i < last {
			t.Errorf("handler %s runs before %s in %v, expected the order %v", name, order[slices.Index(order, name)-1], names, order)
		}
		last = i
	}
}

func TestAdaptDirectiveOrder(t *testing.T) {
	const basicAuth = `basic_auth {
		alice $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG
	}`
	devKey := block("development_key")
	const forwardAuth = `forward_auth 127.0.0.1:9091 {
		uri /verify
		copy_headers X-User-Id
	}`

	tests := []struct {
		name  string
		site  string
		order []string
	}{
		{
			name:  "after basic_auth",
			site:  "respond 404\n" + devKey + "\n" + basicAuth,
			order: []string{"authentication", "virgil_jwt", "static_response"},
		},
		{
			name:  "after forward_auth",
			site:  devKey + "\n" + forwardAuth,
			order: []string{"reverse_proxy", "virgil_jwt"},
		},
		{
			name:  "after both",
			site:  "respond 404\n" + devKey + "\n" + forwardAuth + "\n" + basicAuth,
			order: []string{"authentication", "reverse_proxy", "virgil_jwt", "static_response"},
		},
		{
			name:  "inside handle",
			site:  "handle /token {\n" + devKey + "\n" + basicAuth + "\n}\nrespond 404",
			order: []string{"authentication", "virgil_jwt", "static_response"},
		},
		{
			name:  "inside route keeps written order",
			site:  "route /token {\n" + basicAuth + "\n" + devKey + "\n}",
			order: []string{"authentication", "virgil_jwt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config := adapt(t, ":8443 {\n"+tt.site+"\n}")
			requireOrder(t, handlerNames(t, config), tt.order...)
		})
	}
}

func TestAdaptRouteWrittenOrderIsKept(t *testing.T) {
	// The negative twin of the ordering tests: inside route, Caddy keeps
	// the written order, so a virgil_jwt placed first runs first.
	config := adapt(t, `
		:8443 {
			route {
				virgil_jwt {
					development_key
				}
				basic_auth {
					alice $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG
				}
			}
		}
	`)
	requireOrder(t, handlerNames(t, config), "virgil_jwt", "authentication")
}
