package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is the one error envelope every API failure is written in.
type Error struct {
	Message     string            `json:"message"`
	Detail      string            `json:"detail,omitempty"`
	Validations []ValidationError `json:"validations,omitempty"`

	// StatusCode and RetryAfter come from the HTTP response, not the body.
	StatusCode int           `json:"-"`
	RetryAfter time.Duration `json:"-"`
	// notFromDen marks an answer without Den's envelope: a proxy's, say.
	notFromDen bool
}

// ValidationError names one field of a request and what is wrong with it.
type ValidationError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	for _, v := range e.Validations {
		fmt.Fprintf(&b, "\n  %s: %s", v.Field, v.Detail)
	}
	return b.String()
}

// ReadError turns an error response into an *Error.
func ReadError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &Error{StatusCode: resp.StatusCode}
	if err := json.Unmarshal(body, e); err != nil || e.Message == "" {
		e.notFromDen = true
		e.Message = fmt.Sprintf("unexpected status %d from the server", resp.StatusCode)
		e.Detail = strings.TrimSpace(string(body))
		if len(e.Detail) > 300 {
			e.Detail = e.Detail[:300] + "..."
		}
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	return e
}

// StatusCode returns the HTTP status of an API error, or 0.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}
