package httpmw

import (
	"context"
	"log/slog"
	"net/http"

	"den/sdk"
	"den/server/apikey"
	"den/server/httpapi"
	"den/store"
	"den/store/db"
)

type agentKey struct{}

// Agent is the workspace agent a request authenticated as.
type Agent struct {
	Agent     db.WorkspaceAgent
	Workspace db.Workspace
	Build     db.WorkspaceBuild
}

// AgentFrom returns the agent of a request behind AuthenticateAgent.
func AgentFrom(ctx context.Context) Agent { return ctx.Value(agentKey{}).(Agent) }

// AuthenticateAgent admits requests that carry the token of the agent of a
// workspace's current start build. The token of an earlier build, of a
// stopped or deleted workspace, or no token at all, is a 401.
func AuthenticateAgent(st store.Store, logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			token := r.Header.Get(sdk.AgentTokenHeader)
			if token == "" {
				unauthorized(w, "no agent token", "the agent sends its token in the "+sdk.AgentTokenHeader+" header")
				return
			}
			row, err := st.GetAgentAuth(ctx, apikey.Hash(token))
			if store.IsNotFound(err) {
				unauthorized(w, "the agent token is not valid", "")
				return
			}
			if err != nil {
				httpapi.InternalError(w, r, logger, err)
				return
			}
			agent, ws, latest := row.WorkspaceAgent, row.Workspace, row.WorkspaceBuild
			build := latest
			if latest.ID != agent.BuildID && latest.Transition != string(sdk.TransitionStart) && latest.Number > 1 {
				// A stop or delete is under way: the agent it stops may still
				// report that it is shutting down.
				build, err = st.GetWorkspaceBuildByNumber(ctx, db.GetWorkspaceBuildByNumberParams{WorkspaceID: ws.ID, Number: latest.Number - 1})
				if err != nil && !store.IsNotFound(err) {
					httpapi.InternalError(w, r, logger, err)
					return
				}
			}
			if ws.Deleted || build.ID != agent.BuildID {
				unauthorized(w, "this agent's build is no longer the workspace's current build", "the agent of a newer build replaces it")
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, agentKey{}, Agent{Agent: agent, Workspace: ws, Build: build})))
		})
	}
}
