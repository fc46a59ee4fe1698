package httpmw

import (
	"net/http"
	"time"

	"den/sdk"
	"den/server/httpapi"
)

// SetSessionCookie gives a browser its session: HttpOnly (no script reads
// it), SameSite=Lax (other sites' pages do not send it with their forms or
// fetches), Secure when the server is reached over https.
func SetSessionCookie(w http.ResponseWriter, token string, expires time.Time, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: sdk.SessionTokenCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure,
	})
}

// ClearSessionCookie ends a browser's session.
func ClearSessionCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: sdk.SessionTokenCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure,
	})
}

// CrossOrigin refuses state-changing requests that a browser says come from
// another site (Sec-Fetch-Site, or Origin against Host): the defence against
// cross-site request forgery for cookie sessions. Requests without those
// headers (the CLI, agents, scripts) pass, and so do safe methods.
func CrossOrigin(next http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteError(w, http.StatusForbidden, sdk.Error{
			Message: "cross-origin request refused",
			Detail:  "changes through the API from a browser must come from Den's own pages",
		})
	}))
	return p.Handler(next)
}
