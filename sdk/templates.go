package sdk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Template is what workspaces are made from. Each push is a new version; one
// version is active and new workspaces use it.
type Template struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Provisioner string    `json:"provisioner"`
	// ActiveVersion is the active version's number, 0 when none imported.
	ActiveVersion   int32      `json:"active_version"`
	ActiveVersionID *uuid.UUID `json:"active_version_id,omitempty"`
	WorkspaceCount  int64      `json:"workspace_count"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// TemplateVersion is one push of a template.
type TemplateVersion struct {
	ID           uuid.UUID           `json:"id"`
	TemplateID   uuid.UUID           `json:"template_id"`
	TemplateName string              `json:"template_name"`
	Number       int32               `json:"number"`
	Message      string              `json:"message,omitempty"`
	FileHash     string              `json:"file_hash"`
	Description  string              `json:"description,omitempty"`
	Parameters   []TemplateParameter `json:"parameters"`
	Active       bool                `json:"active"`
	CreatedBy    string              `json:"created_by"`
	CreatedAt    time.Time           `json:"created_at"`
	// Job is the import job that checks the version.
	Job ProvisionerJob `json:"job"`
}

// CreateTemplateVersionRequest pushes a new version of a template, creating
// the template if it does not exist.
type CreateTemplateVersionRequest struct {
	// FileHash names an archive uploaded with Upload.
	FileHash string `json:"file_hash"`
	Message  string `json:"message,omitempty"`
	// Activate (default true) makes the version active once it imports.
	Activate *bool `json:"activate,omitempty"`
}

// UploadResponse names an uploaded archive by its content hash.
type UploadResponse struct {
	Hash string `json:"hash"`
}

// ContentTypeTar is the content type of uploaded template archives.
const ContentTypeTar = "application/x-tar"

// Upload stores a template archive (a tar) and returns its hash.
func (c *Client) Upload(ctx context.Context, tar []byte) (UploadResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL.String()+APIPrefix+"/files", bytes.NewReader(tar))
	if err != nil {
		return UploadResponse{}, err
	}
	req.Header.Set("Content-Type", ContentTypeTar)
	if c.SessionToken != "" {
		req.Header.Set(SessionTokenHeader, c.SessionToken)
	}
	var r UploadResponse
	err = c.send(req, &r)
	return r, err
}

// Download fetches an uploaded archive.
func (c *Client) Download(ctx context.Context, hash string) ([]byte, error) {
	resp, err := c.Request(ctx, http.MethodGet, APIPrefix+"/files/"+pathEscape(hash), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return nil, ReadError(resp)
	}
	return io.ReadAll(resp.Body)
}

// Templates lists the templates.
func (c *Client) Templates(ctx context.Context) ([]Template, error) {
	var ts []Template
	err := c.do(ctx, http.MethodGet, APIPrefix+"/templates", nil, &ts)
	return ts, err
}

// Template returns a template by name or ID.
func (c *Client) Template(ctx context.Context, name string) (Template, error) {
	var t Template
	err := c.do(ctx, http.MethodGet, APIPrefix+"/templates/"+pathEscape(name), nil, &t)
	return t, err
}

// DeleteTemplate deletes a template no workspace uses.
func (c *Client) DeleteTemplate(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, APIPrefix+"/templates/"+pathEscape(name), nil, nil)
}

// CreateTemplateVersion pushes a version; its import job runs next.
func (c *Client) CreateTemplateVersion(ctx context.Context, template string, req CreateTemplateVersionRequest) (TemplateVersion, error) {
	var v TemplateVersion
	err := c.do(ctx, http.MethodPost, APIPrefix+"/templates/"+pathEscape(template)+"/versions", req, &v)
	return v, err
}

// TemplateVersions lists a template's versions, newest first.
func (c *Client) TemplateVersions(ctx context.Context, template string) ([]TemplateVersion, error) {
	var vs []TemplateVersion
	err := c.do(ctx, http.MethodGet, APIPrefix+"/templates/"+pathEscape(template)+"/versions", nil, &vs)
	return vs, err
}

// TemplateVersion returns one version by number; 0 means the active one.
func (c *Client) TemplateVersion(ctx context.Context, template string, number int32) (TemplateVersion, error) {
	ref := "active"
	if number > 0 {
		ref = strconv.Itoa(int(number))
	}
	var v TemplateVersion
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("%s/templates/%s/versions/%s", APIPrefix, pathEscape(template), ref), nil, &v)
	return v, err
}
