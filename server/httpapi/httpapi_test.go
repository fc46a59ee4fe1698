package httpapi

import (
	"errors"
	"strings"
	"testing"

	"den/sdk"
)

type sample struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
	Inner struct {
		On bool `json:"on"`
	} `json:"inner"`
}

func TestDecodeNamesTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body, field string
	}{
		{`{"name": 1}`, "name"},
		{`{"count": "x"}`, "count"},
		{`{"count": 1.5}`, "count"},
		{`{"tags": "x"}`, "tags"},
		{`{"inner": {"on": "yes"}}`, "inner.on"},
		{`{"nmae": "x"}`, "nmae"},
	} {
		var v sample
		err := Decode(strings.NewReader(tc.body), &v)
		var e *sdk.Error
		if !errors.As(err, &e) || len(e.Validations) != 1 || e.Validations[0].Field != tc.field {
			t.Errorf("Decode(%s) = %v, want a validation of %q", tc.body, err, tc.field)
		}
	}
}

func TestDecodeRejectsMalformedBodies(t *testing.T) {
	t.Parallel()
	for _, body := range []string{``, `{`, `nope`, `[]`, `{} {}`, `{}x`, `"str"`} {
		var v sample
		err := Decode(strings.NewReader(body), &v)
		var e *sdk.Error
		if !errors.As(err, &e) || e.Message == "" {
			t.Errorf("Decode(%q) = %v, want an envelope error", body, err)
		}
	}
	var v sample
	if err := Decode(strings.NewReader(`{"name": "a", "count": 2, "tags": ["x"]}`), &v); err != nil || v.Count != 2 {
		t.Fatalf("valid body: %v %+v", err, v)
	}
}

// FuzzDecode checks that no body makes Decode panic, and that every error is
// an envelope a client can show.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"name": "x"}`, `{"count": 1e400}`, `{"tags": [1]}`, `{`, `[]`, `{"inner": {"on": null}}`, "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v sample
		err := Decode(strings.NewReader(string(body)), &v)
		if err == nil {
			return
		}
		var e *sdk.Error
		if !errors.As(err, &e) || e.Message == "" {
			t.Fatalf("Decode(%q) = %v, not an envelope error", body, err)
		}
	})
}
