// Package httpapi holds the one error envelope of Den's API and the helpers
// that read requests and write responses, so every handler speaks the same way.
package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"den/sdk"
)

// MaxBodyBytes bounds a JSON request body.
const MaxBodyBytes = 1 << 20

// Write sends v as JSON with the given status.
func Write(w http.ResponseWriter, status int, v any) {
	buf := buffers.Get().(*bytes.Buffer)
	defer putBuffer(buf)
	// The same bytes as json.Marshal and a newline, encoded into a reused
	// buffer: a list of many workspaces is megabytes, and allocating it
	// afresh for every request shows in the garbage collector.
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		// Every response type is marshalable; this is a programming error.
		http.Error(w, `{"message":"internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBuffer returns buf to the pool, unless it grew so big that keeping it
// would hold on to memory one unusual response needed.
func putBuffer(buf *bytes.Buffer) {
	if buf.Cap() > 16<<20 {
		return
	}
	buf.Reset()
	buffers.Put(buf)
}

// WriteError writes the error envelope.
func WriteError(w http.ResponseWriter, status int, e sdk.Error) {
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	Write(w, status, e)
}

// Errorf writes an error envelope with a message only.
func Errorf(w http.ResponseWriter, status int, format string, args ...any) {
	WriteError(w, status, sdk.Error{Message: fmt.Sprintf(format, args...)})
}

// Invalid writes a 400 naming the fields that are wrong.
func Invalid(w http.ResponseWriter, validations ...sdk.ValidationError) {
	msg := "invalid request"
	if len(validations) == 1 {
		msg = fmt.Sprintf("invalid %s: %s", validations[0].Field, validations[0].Detail)
	}
	WriteError(w, http.StatusBadRequest, sdk.Error{Message: msg, Validations: validations})
}

// InternalError logs err once and tells the client only that something
// went wrong on the server.
func InternalError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	logger.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "error", err)
	WriteError(w, http.StatusInternalServerError, sdk.Error{Message: "internal error", Detail: "the server logged the cause"})
}

// Read decodes a JSON request body into v. Malformed JSON, a field of the
// wrong type or a field the API does not know get a 400 that names the field;
// Read then returns false and the handler stops.
func Read(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := Decode(http.MaxBytesReader(w, r.Body, MaxBodyBytes), v); err != nil {
		var e *sdk.Error
		if errors.As(err, &e) {
			WriteError(w, http.StatusBadRequest, *e)
		} else {
			Errorf(w, http.StatusBadRequest, "%s", err)
		}
		return false
	}
	return true
}

// Decode reads exactly one JSON value from body into v and explains, as an
// *sdk.Error, what a client got wrong.
func Decode(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			return &sdk.Error{Message: "malformed JSON body", Detail: "unexpected data after the JSON value"}
		}
		var extra json.RawMessage
		if dec.Decode(&extra) != io.EOF {
			return &sdk.Error{Message: "malformed JSON body", Detail: "unexpected data after the JSON value"}
		}
		return nil
	}
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		maxErr    *http.MaxBytesError
	)
	switch {
	case errors.Is(err, io.EOF):
		return &sdk.Error{Message: "the request body is empty; send a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &sdk.Error{Message: "malformed JSON body", Detail: "the body ends in the middle of a value"}
	case errors.As(err, &syntaxErr):
		return &sdk.Error{Message: "malformed JSON body", Detail: fmt.Sprintf("%s (at byte %d)", syntaxErr.Error(), syntaxErr.Offset)}
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return &sdk.Error{Message: "malformed JSON body", Detail: fmt.Sprintf("expected a JSON object, got %s", typeErr.Value)}
		}
		detail := fmt.Sprintf("must be %s, got %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
		return &sdk.Error{
			Message:     fmt.Sprintf("invalid %s: %s", field, detail),
			Validations: []sdk.ValidationError{{Field: field, Detail: detail}},
		}
	case errors.As(err, &maxErr):
		return &sdk.Error{Message: "request body too large", Detail: fmt.Sprintf("the limit is %d bytes", maxErr.Limit)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for this case.
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &sdk.Error{
			Message:     fmt.Sprintf("unknown field %q", field),
			Validations: []sdk.ValidationError{{Field: field, Detail: "is not a field of this request"}},
		}
	default:
		return &sdk.Error{Message: "malformed JSON body", Detail: err.Error()}
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "a list"
	case "map", "struct":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	default:
		return "a " + goKind
	}
}
