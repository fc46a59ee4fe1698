package server

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"github.com/google/uuid"

	"den/store/db"
)

// hostKeySecret names the deployment secret workspace host keys derive from.
const hostKeySecret = "ssh_host_key_secret"

// deploymentSecret returns the named secret, making it on first use.
// Concurrent first uses (even on several replicas) agree on one value.
func (s *Server) deploymentSecret(ctx context.Context, name string) ([]byte, error) {
	s.secretsMu.Lock()
	defer s.secretsMu.Unlock()
	if v, ok := s.secrets[name]; ok {
		return v, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	if err := s.store.InsertDeploymentSecret(ctx, db.InsertDeploymentSecretParams{Name: name, Value: fresh}); err != nil {
		return nil, fmt.Errorf("store deployment secret %s: %w", name, err)
	}
	v, err := s.store.GetDeploymentSecret(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("load deployment secret %s: %w", name, err)
	}
	s.secrets[name] = v
	return v, nil
}

// hostKeySeed derives a workspace's SSH host key seed, so the key is the
// same at every start without being stored anywhere.
func (s *Server) hostKeySeed(ctx context.Context, workspace uuid.UUID) ([]byte, error) {
	secret, err := s.deploymentSecret(ctx, hostKeySecret)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("den workspace ssh host key\x00"))
	mac.Write(workspace[:])
	return mac.Sum(nil)[:ed25519.SeedSize], nil
}
