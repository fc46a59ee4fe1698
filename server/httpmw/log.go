package httpmw

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"den/server/httpapi"
)

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.wrote {
		s.status, s.wrote = http.StatusOK, true
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Log writes one line per request, and turns a panic in a handler into a
// logged 500 instead of a dropped connection.
func Log(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w}
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					logger.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					if !sw.wrote {
						httpapi.Errorf(sw, http.StatusInternalServerError, "internal error")
					}
				}
				level := slog.LevelDebug
				if sw.status >= 500 {
					level = slog.LevelWarn
				}
				logger.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
					"status", sw.status, "duration_ms", time.Since(start).Milliseconds(), "remote", r.RemoteAddr)
			}()
			next.ServeHTTP(sw, r)
		})
	}
}
