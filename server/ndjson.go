package server

import (
	"context"
	"net/http"
)

// subscribeStream subscribes to channel for a streamed answer (a watch,
// followed logs). ctx is the request's ctx, ended too when the server ends
// its streams (EndStreams). The caller defers end, even when err is set:
// end unsubscribes and, when the server ended the stream, breaks the
// connection, so that the client tells that from the stream's own end.
func (s *Server) subscribeStream(ctx context.Context, channel string) (_ context.Context, updates <-chan string, end func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	stopAfter := context.AfterFunc(s.streams, cancel)
	updates, unsubscribe, err := s.pubsub.Subscribe(ctx, channel)
	end = func() {
		if unsubscribe != nil {
			unsubscribe()
		}
		stopAfter()
		cancel()
		if s.streams.Err() != nil {
			panic(http.ErrAbortHandler)
		}
	}
	return ctx, updates, end, err
}

// startNDJSON begins a streamed answer of newline-delimited JSON, which
// proxies are asked not to buffer or cache.
func startNDJSON(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
}
