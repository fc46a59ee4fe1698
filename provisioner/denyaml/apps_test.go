package denyaml

import (
	"reflect"
	"testing"

	"den/sdk"
)

func TestAppsDefaultsAndManifest(t *testing.T) {
	t.Parallel()
	s := mustParse(t, minimal+`apps:
  - slug: web
    port: 8000
    healthcheck:
      path: /healthz
  - slug: docs
    name: Documentation
    url: http://localhost:9000/docs/
    share: public
    healthcheck:
      url: http://127.0.0.1:9001/ok?full=1
      interval: 30s
      threshold: 5
  - slug: plain
    port: "8080"
    share: authenticated
`)
	if a := s.Apps[0]; a.Name != "web" || a.Share != "owner" || a.Healthcheck.Threshold != 3 {
		t.Errorf("defaults not applied: %+v %+v", a, a.Healthcheck)
	}
	got, err := s.AgentApps()
	if err != nil {
		t.Fatal(err)
	}
	want := []sdk.AgentApp{
		{Slug: "web", Name: "web", Share: sdk.AppShareOwner, URL: "http://127.0.0.1:8000/",
			Healthcheck: &sdk.AppHealthcheck{URL: "http://127.0.0.1:8000/healthz", IntervalMS: 5000, Threshold: 3}},
		{Slug: "docs", Name: "Documentation", Share: sdk.AppSharePublic, URL: "http://localhost:9000/docs/",
			Healthcheck: &sdk.AppHealthcheck{URL: "http://127.0.0.1:9001/ok?full=1", IntervalMS: 30000, Threshold: 5}},
		{Slug: "plain", Name: "plain", Share: sdk.AppShareAuthenticated, URL: "http://127.0.0.1:8080/"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AgentApps:\n got %+v\nwant %+v", got, want)
	}
}

func TestAppsReferences(t *testing.T) {
	t.Parallel()
	s := mustParse(t, `parameters:
  - {name: port, type: number, default: 8000}
  - {name: host, default: 127.0.0.1}
container: {image: x}
apps:
  - slug: web
    port: ${param.port}
    healthcheck: {url: "http://${param.host}:${param.port}/up"}
  - slug: other
    url: http://${param.host}:9000/
`)
	r, err := s.Resolve(Vars{Params: map[string]string{"port": "8123", "host": "10.0.0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	apps, err := r.AgentApps()
	if err != nil {
		t.Fatal(err)
	}
	if apps[0].URL != "http://127.0.0.1:8123/" || apps[0].Healthcheck.URL != "http://10.0.0.2:8123/up" || apps[1].URL != "http://10.0.0.2:9000/" {
		t.Errorf("resolved apps: %+v %+v", apps, apps[0].Healthcheck)
	}
	if s.Apps[0].Port != "${param.port}" {
		t.Errorf("Resolve changed the spec it was called on: %q", s.Apps[0].Port)
	}
	if _, err := s.AgentApps(); err == nil {
		t.Error("AgentApps on an unresolved spec: no error")
	}
	_, err = s.Resolve(Vars{Params: map[string]string{"port": "99999", "host": "h"}})
	checkErrors(t, err,
		want{0, "apps[0].port", `"${param.port}" resolved to a bad value: "99999" is not a port`},
		want{0, "apps[0].healthcheck.url", `"http://h:99999/up": "99999" is not a port`})
}

func TestAppsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		wants     []want
	}{
		{"no slug", "apps:\n  - port: 80\n", []want{{4, "apps[0]", "an app needs a slug"}}},
		{"bad slug", "apps:\n  - slug: Web\n    port: 80\n", []want{{4, "apps[0].slug", `"Web" is not an app slug`}}},
		{"double dash", "apps:\n  - slug: my--web\n    port: 80\n", []want{{4, "apps[0].slug", "-- separates"}}},
		{"long slug", "apps:\n  - slug: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n    port: 80\n", []want{{4, "apps[0].slug", "at most 32"}}},
		{"duplicate", "apps:\n  - {slug: web, port: 80}\n  - {slug: web, port: 81}\n", []want{{5, "apps[1].slug", `app "web" is already defined (apps[0])`}}},
		{"neither", "apps:\n  - slug: web\n", []want{{4, "apps[0]", "set port"}}},
		{"both", "apps:\n  - slug: web\n    port: 80\n    url: http://127.0.0.1:80/\n", []want{{6, "apps[0].url", "set port or url, not both"}}},
		{"port text", "apps:\n  - slug: web\n    port: eighty\n", []want{{5, "apps[0].port", `"eighty" is not a port`}}},
		{"port range", "apps:\n  - slug: web\n    port: 70000\n", []want{{5, "apps[0].port", "1 to 65535"}}},
		{"port list", "apps:\n  - slug: web\n    port: [80]\n", []want{{5, "apps[0].port", "must be a single value"}}},
		{"https", "apps:\n  - slug: web\n    url: https://127.0.0.1/\n", []want{{5, "apps[0].url", "not an http:// URL"}}},
		{"no host", "apps:\n  - slug: web\n    url: http:///x\n", []want{{5, "apps[0].url", "names no host"}}},
		{"user", "apps:\n  - slug: web\n    url: http://u:p@h/\n", []want{{5, "apps[0].url", "user or password"}}},
		{"share", "apps:\n  - slug: web\n    port: 80\n    share: everyone\n", []want{{6, "apps[0].share", `unknown sharing level "everyone"`}}},
		{"check neither", "apps:\n  - slug: web\n    port: 80\n    healthcheck: {interval: 5s}\n", []want{{6, "apps[0].healthcheck", "set path"}}},
		{"check both", "apps:\n  - slug: web\n    port: 80\n    healthcheck:\n      path: /\n      url: http://h/\n", []want{{8, "apps[0].healthcheck.url", "set path or url, not both"}}},
		{"check path", "apps:\n  - slug: web\n    port: 80\n    healthcheck: {path: healthz}\n", []want{{6, "apps[0].healthcheck.path", "does not start with /"}}},
		{"interval", "apps:\n  - slug: web\n    port: 80\n    healthcheck:\n      path: /\n      interval: 10ms\n", []want{{8, "apps[0].healthcheck.interval", "between 1s and 1h"}}},
		{"threshold zero", "apps:\n  - slug: web\n    port: 80\n    healthcheck:\n      path: /\n      threshold: 0\n", []want{{8, "apps[0].healthcheck.threshold", "at least 1"}}},
		{"threshold big", "apps:\n  - slug: web\n    port: 80\n    healthcheck:\n      path: /\n      threshold: 1000\n", []want{{8, "apps[0].healthcheck.threshold", "1 to 100"}}},
		{"threshold text", "apps:\n  - slug: web\n    port: 80\n    healthcheck:\n      path: /\n      threshold: 2.5\n", []want{{8, "apps[0].healthcheck.threshold", `must be a whole number, not "2.5"`}}},
		{"unknown field", "apps:\n  - slug: web\n    prot: 80\n", []want{{5, "apps[0].prot", "did you mean port?"}}},
		{"not a list", "apps: {slug: web}\n", []want{{3, "apps", "must be a list"}}},
		{"bad ref", "apps:\n  - slug: web\n    port: ${param.nope}\n", []want{{5, "apps[0].port", "refers to parameter"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(minimal + tc.src))
			checkErrors(t, err, tc.wants...)
		})
	}
}
