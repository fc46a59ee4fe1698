package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"den/buildinfo"
	"den/sdk"
	"den/server/httpapi"
	"den/store"
)

// healthz says the process is alive.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	httpapi.Write(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says the database answers and every migration is applied.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	pending, err := store.Pending(ctx, s.opts.DB)
	if err != nil {
		httpapi.WriteError(w, http.StatusServiceUnavailable, sdk.Error{Message: "database unreachable", Detail: err.Error()})
		return
	}
	if pending > 0 {
		httpapi.WriteError(w, http.StatusServiceUnavailable, sdk.Error{Message: fmt.Sprintf("%d migrations not applied", pending)})
		return
	}
	httpapi.Write(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) buildInfo(w http.ResponseWriter, _ *http.Request) {
	httpapi.Write(w, http.StatusOK, sdk.BuildInfo{Version: buildinfo.Version()})
}
