package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/go-chi/chi/v5"

	"den/sdk"
	"den/server/httpapi"
	"den/server/httpmw"
	"den/server/policy"
	"den/store"
	"den/store/db"
	"den/tarfs"
)

// uploadFile stores a template archive under the hash of its content.
func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, policy.ActionCreate, policy.Object{Type: policy.ResourceFile}) {
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != sdk.ContentTypeTar {
		httpapi.WriteError(w, http.StatusUnsupportedMediaType, sdk.Error{
			Message: "upload a tar archive with Content-Type " + sdk.ContentTypeTar,
		})
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxArchiveBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		httpapi.WriteError(w, http.StatusRequestEntityTooLarge, sdk.Error{
			Message: "the template archive is too large",
			Detail:  "the server accepts archives up to " + humanBytes(s.opts.MaxArchiveBytes) + "; leave build outputs and large data out of the template directory",
		})
		return
	}
	if err != nil {
		httpapi.Errorf(w, http.StatusBadRequest, "read the upload: %s", err)
		return
	}
	if _, err := tarfs.Open(data, tarfs.Limits{}); err != nil {
		var te *tarfs.Error
		if errors.As(err, &te) {
			httpapi.WriteError(w, http.StatusBadRequest, sdk.Error{Message: "the template archive was refused", Detail: te.Error()})
			return
		}
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	actor, _ := httpmw.ActorFrom(r.Context())
	if err := s.store.InsertFile(r.Context(), db.InsertFileParams{Hash: hash, Data: data, CreatedBy: actor.User.ID}); err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	httpapi.Write(w, http.StatusCreated, sdk.UploadResponse{Hash: hash})
}

func (s *Server) downloadFile(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, policy.ActionRead, policy.Object{Type: policy.ResourceFile}) {
		return
	}
	f, err := s.store.GetFile(r.Context(), chi.URLParam(r, "hash"))
	if store.IsNotFound(err) {
		httpapi.Errorf(w, http.StatusNotFound, "no file with hash %q", chi.URLParam(r, "hash"))
		return
	}
	if err != nil {
		httpapi.InternalError(w, r, s.logger, err)
		return
	}
	w.Header().Set("Content-Type", sdk.ContentTypeTar)
	_, _ = w.Write(f.Data)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " bytes"
}
