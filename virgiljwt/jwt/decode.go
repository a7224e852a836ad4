package jwt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonText returns a decoded header or body as UTF-8 JSON text.
//
// Virgil's JavaScript SDK (virgil-sdk 6.2.0) decodes both with the base-64
// npm package, which yields one character per byte (Latin-1), and its
// JwtGenerator writes characters U+0080 to U+00FF as single bytes. So text
// that is not valid UTF-8 is read as Latin-1 here, as that SDK reads it,
// and valid UTF-8 is read as UTF-8, as every other JSON decoder reads it.
//
// NOTE: the two readings are ambiguous for Latin-1 text that happens to be
// valid UTF-8, such as "Ã©" (bytes C3 A9), which is read as "é". Tokens
// minted by this package escape every non-ASCII character, so they are
// ASCII and read the same either way.
func jsonText(raw []byte) []byte {
	if utf8.Valid(raw) {
		return raw
	}
	text := make([]byte, 0, 2*len(raw))
	for _, b := range raw {
		text = utf8.AppendRune(text, rune(b))
	}
	return text
}

// decodeObject decodes a JSON object into its members. It rejects input
// that encoding/json accepts silently but other decoders read differently.
// These are duplicate names at any depth, unpaired UTF-16 surrogate escapes
// (encoding/json turns them into U+FFFD), and names that differ from one of
// known only in case (encoding/json would fill a struct field).
func decodeObject(text []byte, known ...string) (map[string]json.RawMessage, error) {
	if err := checkNames(text); err != nil {
		return nil, err
	}
	if err := checkSurrogates(text); err != nil {
		return nil, err
	}
	trimmed := bytes.TrimLeft(text, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("not a JSON object")
	}

	var fields map[string]json.RawMessage
	if err := json.Unmarshal(text, &fields); err != nil {
		return nil, err
	}
	for name := range fields {
		for _, want := range known {
			if name != want && strings.EqualFold(name, want) {
				return nil, fmt.Errorf("name %q differs from %q only in case", name, want)
			}
		}
	}
	return fields, nil
}

// nameSet records the member names seen in one JSON object or, with nil
// names, one array.
type nameSet struct {
	names    map[string]bool
	wantName bool
}

// checkNames reports a syntax error or a duplicate member name anywhere
// in text.
func checkNames(text []byte) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var stack []*nameSet
	for {
		token, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}

		var top *nameSet
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.names != nil && top.wantName {
			if name, ok := token.(string); ok {
				if top.names[name] {
					return fmt.Errorf("duplicate name %s", quoteShort(name))
				}
				top.names[name] = true
				top.wantName = false
				continue
			}
		}

		switch token {
		case json.Delim('{'):
			stack = append(stack, &nameSet{names: map[string]bool{}, wantName: true})
			continue
		case json.Delim('['):
			stack = append(stack, &nameSet{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value is complete, so the enclosing object expects a name.
		if len(stack) > 0 {
			stack[len(stack)-1].wantName = true
		}
	}
}

// checkSurrogates reports a \u escape of a UTF-16 surrogate that is not
// part of a high-low pair. text must be valid JSON.
func checkSurrogates(text []byte) error {
	for i := 0; i < len(text); i++ {
		if text[i] != '\\' {
			continue
		}
		i++
		if i >= len(text) || text[i] != 'u' {
			continue
		}
		r := hexRune(text[i+1:])
		i += 4
		if !utf16.IsSurrogate(r) {
			continue
		}
		if r >= 0xDC00 {
			return errors.New("unpaired UTF-16 surrogate escape")
		}
		if i+6 >= len(text) || text[i+1] != '\\' || text[i+2] != 'u' {
			return errors.New("unpaired UTF-16 surrogate escape")
		}
		low := hexRune(text[i+3:])
		if low < 0xDC00 || low > 0xDFFF {
			return errors.New("unpaired UTF-16 surrogate escape")
		}
		i += 6
	}
	return nil
}

// hexRune decodes the four hex digits at the start of b, or returns -1.
func hexRune(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 16)
	if err != nil {
		return -1
	}
	return rune(n)
}

func requiredString(fields map[string]json.RawMessage, name string) (string, error) {
	raw, ok := fields[name]
	if !ok {
		return "", fmt.Errorf("missing %s", name)
	}
	if len(raw) == 0 || raw[0] != '"' {
		return "", fmt.Errorf("%s is not a string", name)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: %v", name, err)
	}
	return s, nil
}

// requiredInt decodes an integer written without fraction or exponent. The
// JavaScript SDK and all tokens in Virgil's test vectors write iat and exp
// that way.
func requiredInt(fields map[string]json.RawMessage, name string) (int64, error) {
	raw, ok := fields[name]
	if !ok {
		return 0, fmt.Errorf("missing %s", name)
	}
	digits := bytes.TrimPrefix(raw, []byte("-"))
	if len(digits) == 0 || strings.Trim(string(digits), "0123456789") != "" {
		return 0, fmt.Errorf("%s is not an integer", name)
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is out of range", name)
	}
	return n, nil
}

// optionalObject decodes a JSON object member. An absent or null member
// yields nil.
func optionalObject(fields map[string]json.RawMessage, name string) (map[string]any, error) {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("%s is not an object", name)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return m, nil
}
