package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/policy"
)

// watchRecheck is how often a watch looks at its workspace even without a
// notification, in case one was lost (the listener reconnecting, say).
const watchRecheck = 5 * time.Second

// watchWorkspace is GET /workspaces/{id}/watch: the workspace as NDJSON, at
// once and then whenever it changes, announced on den_workspace, and again
// at least every sdk.WatchKeepalive so that proxies keep the stream open.
// The stream ends when the workspace is gone.
func (s *Server) watchWorkspace(w http.ResponseWriter, r *http.Request) {
	ws := httpmw.WorkspaceParam(r.Context())
	if !s.authorize(w, r, policy.ActionRead, workspaceObject(ws)) {
		return
	}
	ctx, updates, end, err := s.subscribeStream(r.Context(), channelWorkspace)
	defer end()
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	startNDJSON(w)
	rc := http.NewResponseController(w)
	recheck := time.NewTicker(watchRecheck)
	defer recheck.Stop()
	var last []byte
	lastSent := time.Now()
	id := ws.ID.String()
	for {
		cur, found, err := s.loadWorkspace(ctx, ws.ID)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Warn("watch workspace", "workspace", ws.ID, "error", err)
			}
			// Break the stream: its plain end says the workspace is gone.
			panic(http.ErrAbortHandler)
		}
		if !found {
			return // deleted: the stream's end says so
		}
		line, _ := json.Marshal(cur) // sdk types: cannot fail
		if !bytes.Equal(line, last) || time.Since(lastSent) >= sdk.WatchKeepalive-watchRecheck {
			if _, err := w.Write(append(line, '\n')); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
			last, lastSent = line, time.Now()
		}
		if !waitForUpdate(ctx, updates, recheck.C, id) {
			return
		}
	}
}
