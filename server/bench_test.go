package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"den/provisioner"
	"den/sdk"
	"den/server"
	"den/server/servertest"
)

// BenchmarkAPILatency measures the latency of the API calls people make most,
// at the client (the response read and decoded as the SDK does), with
// $DEN_BENCH_WORKSPACES (default 1000) workspaces in the database, spread
// over 50 users, and $DEN_BENCH_CLIENTS (default 8) clients each making
// $DEN_BENCH_REQUESTS (default 200) requests of each kind, one kind at a
// time (all clients on the same call):
//
//   - list-page: the owner's workspaces page in the dashboard: the first
//     page of 25 of every workspace, with their count;
//   - list-search: the same with a search that every row is tested
//     against (a status and a word, which all the seeded workspaces match);
//   - list-all: every workspace, as the SDK's Workspaces walks the pages
//     (two of 500);
//   - list-own: the member's GET /workspaces?owner=me (their 20);
//   - page: the workspace page's calls one after another (the workspace by
//     name, its builds, the latest build's job), timed together;
//   - baseline: GET /buildinfo, the floor of an HTTP round trip in this run.
//
// Each start build reports an agent with two apps, as a real template's
// would, so the lists carry agents and apps.
//
// Each kind's phase stops after its share of a minute whatever is left. The log also
// shows each kind from one client alone, for scale.
//
//	go test ./server -run '^$' -bench APILatency -benchtime 1x
func BenchmarkAPILatency(b *testing.B) {
	nWorkspaces := envInt(b, "DEN_BENCH_WORKSPACES", 1000)
	nClients := envInt(b, "DEN_BENCH_CLIENTS", 8)
	nRequests := envInt(b, "DEN_BENCH_REQUESTS", 200)
	const nUsers, memberWorkspaces, seeders = 50, 20, 8
	// The clients stop after loadLimit even if they have requests left, to
	// keep the benchmark's time bounded on a slow or busy machine.
	const loadLimit = 60 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	_, owner, member := newBenchEnv(b)
	owner.HTTPClient, member.HTTPClient = newHTTPClient(seeders), newHTTPClient(seeders)
	t0 := time.Now()
	memberNames := seedWorkspaces(ctx, b, owner, member, nWorkspaces, nUsers, memberWorkspaces, seeders)
	b.Logf("seeded %d workspaces over %d users (member: %d), %d at a time, in %v, every build done",
		nWorkspaces, nUsers, len(memberNames), seeders, time.Since(t0).Round(time.Millisecond))

	type kind struct {
		name string
		do   func(c, m *sdk.Client, i int) error
	}
	const dashboardPage = 25
	first, err := owner.WorkspacesPage(ctx, sdk.WorkspaceFilter{}, 0, 1)
	if err != nil || len(first.Workspaces) == 0 {
		b.Fatalf("list: %+v, %v", first, err)
	}
	search := "ws status:" + string(first.Workspaces[0].Status) // all seeded workspaces alike
	checkPage := func(p sdk.WorkspacePage, err error) error {
		if err == nil && (len(p.Workspaces) != min(dashboardPage, nWorkspaces) || p.Count != int64(nWorkspaces)) {
			err = fmt.Errorf("the owner sees %d of %d workspaces, want %d of %d", len(p.Workspaces), p.Count, dashboardPage, nWorkspaces)
		}
		return err
	}
	kinds := []kind{
		{"list-page", func(c, _ *sdk.Client, _ int) error {
			return checkPage(c.WorkspacesPage(ctx, sdk.WorkspaceFilter{}, 0, dashboardPage))
		}},
		{"list-search", func(c, _ *sdk.Client, _ int) error {
			return checkPage(c.WorkspacesPage(ctx, sdk.WorkspaceFilter{Query: search}, 0, dashboardPage))
		}},
		{"list-all", func(c, _ *sdk.Client, _ int) error {
			ws, err := c.Workspaces(ctx, sdk.WorkspaceFilter{})
			if err == nil && len(ws) != nWorkspaces {
				err = fmt.Errorf("the owner sees %d workspaces, want %d", len(ws), nWorkspaces)
			}
			return err
		}},
		{"list-own", func(_, m *sdk.Client, _ int) error {
			ws, err := m.Workspaces(ctx, sdk.WorkspaceFilter{Owner: sdk.Me})
			if err == nil && len(ws) != len(memberNames) {
				err = fmt.Errorf("the member sees %d workspaces, want %d", len(ws), len(memberNames))
			}
			return err
		}},
		{"page", func(_, m *sdk.Client, i int) error {
			ws, err := m.WorkspaceByName(ctx, sdk.Me, memberNames[i%len(memberNames)])
			if err != nil {
				return err
			}
			builds, err := m.WorkspaceBuilds(ctx, ws.ID, 0, 0)
			if err != nil {
				return err
			}
			if len(builds) == 0 {
				return fmt.Errorf("workspace %s has no builds", ws.Name)
			}
			_, err = m.Job(ctx, builds[0].Job.ID)
			return err
		}},
		{"baseline", func(c, _ *sdk.Client, _ int) error {
			_, err := c.BuildInfo(ctx)
			return err
		}},
	}
	// For scale: each kind from one client alone, before the load. (The
	// testing package keeps only ten lines of a benchmark's log.)
	alone := "one client alone, p50/p95:"
	for _, kd := range kinds {
		var d []time.Duration
		for i := range 20 {
			start := time.Now()
			if err := kd.do(owner, member, i); err != nil {
				b.Fatalf("%s: %v", kd.name, err)
			}
			d = append(d, time.Since(start))
		}
		alone += fmt.Sprintf(" %s %v/%v", kd.name, ms(percentile(d, 50)), ms(percentile(d, 95)))
	}
	b.Log(alone)

	// Each kind in a phase of its own: every client makes only that call,
	// so a kind's figures are its own under concurrency, not a wait behind
	// another kind's large responses.
	lat := make([][]time.Duration, len(kinds))
	var elapsed time.Duration
	var cut atomic.Bool
	for b.Loop() {
		for k, kd := range kinds {
			t0 := time.Now()
			deadline := t0.Add(loadLimit / time.Duration(len(kinds)))
			per := make([][]time.Duration, nClients)
			errs := make(chan error, nClients)
			var wg sync.WaitGroup
			for ci := range nClients {
				// Each client its own connection, as separate programs
				// would have.
				hc := newHTTPClient(1)
				c, m := *owner, *member
				c.HTTPClient, m.HTTPClient = hc, hc
				wg.Go(func() {
					for i := range nRequests {
						if time.Now().After(deadline) {
							cut.Store(true)
							return
						}
						start := time.Now()
						if err := kd.do(&c, &m, ci+i*nClients); err != nil {
							errs <- fmt.Errorf("%s: %w", kd.name, err)
							return
						}
						per[ci] = append(per[ci], time.Since(start))
					}
				})
			}
			wg.Wait()
			close(errs)
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
			elapsed += time.Since(t0)
			for _, p := range per {
				lat[k] = append(lat[k], p...)
			}
		}
	}
	total := 0
	for k, kd := range kinds {
		total += len(lat[k])
		p50, p95, p99 := percentile(lat[k], 50), percentile(lat[k], 95), percentile(lat[k], 99)
		b.Logf("%-8s n=%d p50=%v p95=%v p99=%v max=%v", kd.name, len(lat[k]), ms(p50), ms(p95), ms(p99), ms(slices.Max(lat[k])))
		b.ReportMetric(msf(p50), kd.name+"-p50-ms")
		b.ReportMetric(msf(p95), kd.name+"-p95-ms")
		b.ReportMetric(msf(p99), kd.name+"-p99-ms")
	}
	limit := ""
	if cut.Load() {
		limit = fmt.Sprintf(" (some kinds stopped at their share of the %v limit, short of %d requests per client)", loadLimit, nRequests)
	}
	b.Logf("%d clients, %d requests (a page's three counted as one) in %v%s: %.0f requests/s",
		nClients, total, elapsed.Round(time.Millisecond), limit, float64(total)/elapsed.Seconds())
	b.ReportMetric(float64(nWorkspaces), "workspaces")
	b.ReportMetric(float64(nClients), "clients")
}

// BenchmarkJobPickup measures how long a build waits for a provisioner
// daemon: a job's started_at − created_at, both set by PostgreSQL and read
// through the API once the builds are done. The server runs its default
// number of in-process daemons ($DEN_BENCH_DAEMONS sets another), on the
// fake provisioner, which takes no time.
//
//	go test ./server -run '^$' -bench JobPickup -benchtime 1x
//
// pickup-idle is 50 builds one after another, each after the previous is
// done, so the daemons are idle and woken by LISTEN/NOTIFY. pickup-deep is
// the same with 2,000 jobs queued ahead that no daemon here takes (another
// provisioner's), so each acquisition passes over a deep queue. pickup-burst is
// $DEN_BENCH_BURST (default 200) builds (stops or starts of as many
// workspaces) requested at once by 16 clients; burst-drain-ms runs from the
// first of their jobs' creation to the last one's completion (database
// times).
func BenchmarkJobPickup(b *testing.B) {
	nBurst := envInt(b, "DEN_BENCH_BURST", 200)
	const nIdle, nDeep, senders = 50, 2000, 16
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// The server's default number of daemons (server.Options'
	// ProvisionerDaemons), unless $DEN_BENCH_DAEMONS says otherwise.
	daemons := 3
	var opts []func(*server.Options)
	if os.Getenv("DEN_BENCH_DAEMONS") != "" {
		daemons = envInt(b, "DEN_BENCH_DAEMONS", daemons)
		opts = append(opts, func(o *server.Options) { o.ProvisionerDaemons = daemons })
	}
	srv := servertest.New(b, opts...)
	owner, _ := srv.FirstUser(b)
	owner.HTTPClient = newHTTPClient(senders)
	srv.PushTemplate(b, owner, "base", map[string]string{"den.yaml": testTemplate})
	t0 := time.Now()
	names := make(chan int)
	go func() {
		defer close(names)
		for i := range nBurst + 1 {
			select {
			case names <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var mu sync.Mutex
	var workspaces []sdk.Workspace
	err := forEach(senders, names, func(i int) error {
		ws, err := owner.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{
			Name: fmt.Sprintf("ws%04d", i), Template: "base", Parameters: []sdk.ParameterValue{{Name: "region", Value: "eu"}},
		})
		mu.Lock()
		workspaces = append(workspaces, ws)
		mu.Unlock()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	done, err := waitBuilds(ctx, owner, len(workspaces))
	if err != nil {
		b.Fatal(err)
	}
	ran := map[string]bool{}
	for _, ws := range done {
		ran[ws.LatestBuild.Job.WorkerName] = true
	}
	how := "its default"
	if len(opts) > 0 {
		how = "DEN_BENCH_DAEMONS"
	}
	b.Logf("seeded %d workspaces in %v; the server runs %d provisioner daemons (%s), and %d of them ran these builds",
		len(workspaces), time.Since(t0).Round(time.Millisecond), daemons, how, len(ran))
	idleWS, burstWS := workspaces[0], workspaces[1:]

	var idle, deep, burst, drains []time.Duration
	transition, tr := sdk.TransitionStop, sdk.TransitionStop
	// sequential runs nIdle builds of one workspace, each after the previous
	// is done, and returns their pickups.
	sequential := func() []time.Duration {
		var out []time.Duration
		for range nIdle {
			bd, err := owner.CreateWorkspaceBuild(ctx, idleWS.ID, sdk.CreateWorkspaceBuildRequest{Transition: transition})
			if err != nil {
				b.Fatal(err)
			}
			j, err := followJob(ctx, owner, bd.Job.ID)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, j.StartedAt.Sub(j.CreatedAt))
			transition = flip(transition)
		}
		return out
	}
	for b.Loop() {
		// Idle: one build at a time.
		idle = append(idle, sequential()...)

		// Burst: the other workspaces, all at once.
		reqs := make(chan sdk.Workspace)
		go func() {
			defer close(reqs)
			for _, ws := range burstWS {
				select {
				case reqs <- ws:
				case <-ctx.Done():
					return
				}
			}
		}()
		var jobs []uuid.UUID
		t0 := time.Now()
		err := forEach(senders, reqs, func(ws sdk.Workspace) error {
			bd, err := owner.CreateWorkspaceBuild(ctx, ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: tr})
			if err != nil {
				return fmt.Errorf("%s build of %s: %w", tr, ws.Name, err)
			}
			mu.Lock()
			jobs = append(jobs, bd.Job.ID)
			mu.Unlock()
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		sent := time.Since(t0)
		if err := waitJobs(ctx, srv); err != nil {
			b.Fatal(err)
		}
		var first, last time.Time
		for _, id := range jobs {
			j, err := owner.Job(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			if j.Status != sdk.JobSucceeded {
				b.Fatalf("job %s: %s: %s", id, j.Status, j.Error)
			}
			burst = append(burst, j.StartedAt.Sub(j.CreatedAt))
			if first.IsZero() || j.CreatedAt.Before(first) {
				first = j.CreatedAt
			}
			if j.CompletedAt.After(last) {
				last = *j.CompletedAt
			}
		}
		drains = append(drains, last.Sub(first))
		b.Logf("burst: %d %s builds requested by %d clients in %v; drained in %v (%.0f jobs/s)",
			len(jobs), tr, senders, sent.Round(time.Millisecond), last.Sub(first).Round(time.Millisecond),
			float64(len(jobs))/last.Sub(first).Seconds())
		tr = flip(tr)
	}
	// Deep: the idle builds again, behind nDeep jobs no daemon here takes
	// (another provisioner's), which every acquisition has to pass over.
	if _, err := srv.DB.Exec(ctx, `INSERT INTO provisioner_jobs (id, type, provisioner, file_hash, initiator_id)
		SELECT gen_random_uuid(), 'template_import', 'elsewhere', file_hash, initiator_id
		FROM provisioner_jobs, generate_series(1, $1) LIMIT $1`, nDeep); err != nil {
		b.Fatal(err)
	}
	deep = sequential()
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{{"pickup-idle", idle}, {"pickup-deep", deep}, {"pickup-burst", burst}} {
		p50, p95 := percentile(m.d, 50), percentile(m.d, 95)
		b.Logf("%-12s n=%d p50=%v p95=%v max=%v", m.name, len(m.d), ms(p50), ms(p95), ms(slices.Max(m.d)))
		b.ReportMetric(msf(p50), m.name+"-p50-ms")
		b.ReportMetric(msf(p95), m.name+"-p95-ms")
		b.ReportMetric(msf(slices.Max(m.d)), m.name+"-max-ms")
	}
	b.ReportMetric(msf(slices.Max(drains)), "burst-drain-ms")
	b.ReportMetric(float64(daemons), "daemons")
}

// newBenchEnv is a server with the test template pushed, whose start builds
// report an agent with two apps (as a real template's would, so that lists
// carry agents and apps), and a member.
func newBenchEnv(b *testing.B) (*servertest.Server, *sdk.Client, *sdk.Client) {
	b.Helper()
	srv := servertest.New(b)
	srv.Fake.Agent = &provisioner.AgentSpec{Apps: []sdk.AgentApp{
		{Slug: "code", Name: "VS Code", Share: sdk.AppShareOwner, URL: "http://127.0.0.1:13337",
			Healthcheck: &sdk.AppHealthcheck{URL: "http://127.0.0.1:13337/healthz", IntervalMS: 5000, Threshold: 3}},
		{Slug: "web", Name: "Web", Share: sdk.AppShareAuthenticated, URL: "http://127.0.0.1:8080"},
	}}
	owner, _ := srv.FirstUser(b)
	srv.PushTemplate(b, owner, "base", map[string]string{"den.yaml": testTemplate})
	member, _ := srv.CreateUser(b, owner, "member")
	return srv, owner, member
}

// seedWorkspaces creates n workspaces, seeders at a time, and waits for
// their builds: memberN of them the member's (made by the member), the rest
// spread over the owner and nUsers-2 more users (made by the owner). It
// returns the names of the member's workspaces.
func seedWorkspaces(ctx context.Context, b *testing.B, owner, member *sdk.Client, n, nUsers, memberN, seeders int) []string {
	b.Helper()
	others := []string{"owner"}
	for i := range nUsers - 2 {
		name := fmt.Sprintf("user%02d", i+1)
		if _, err := owner.CreateUser(ctx, sdk.CreateUserRequest{Username: name, Email: name + "@example.com", Password: servertest.Password}); err != nil {
			b.Fatalf("create user %s: %v", name, err)
		}
		others = append(others, name)
	}
	type seed struct {
		c           *sdk.Client
		user, name  string
		region, cpu string
	}
	seeds := make(chan seed)
	go func() {
		defer close(seeds)
		for i := range n {
			s := seed{c: owner, user: others[i%len(others)], name: fmt.Sprintf("ws%04d", i), region: []string{"eu", "us"}[i%2], cpu: strconv.Itoa(1 + i%4)}
			if i < memberN {
				s.c, s.user = member, sdk.Me
			}
			select {
			case seeds <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	var memberNames []string
	var mu sync.Mutex
	err := forEach(seeders, seeds, func(s seed) error {
		_, err := s.c.CreateWorkspace(ctx, s.user, sdk.CreateWorkspaceRequest{
			Name: s.name, Template: "base",
			Parameters: []sdk.ParameterValue{{Name: "region", Value: s.region}, {Name: "cpus", Value: s.cpu}},
		})
		if err != nil {
			return fmt.Errorf("create workspace %s/%s: %w", s.user, s.name, err)
		}
		if s.user == sdk.Me {
			mu.Lock()
			memberNames = append(memberNames, s.name)
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := waitBuilds(ctx, owner, n); err != nil {
		b.Fatal(err)
	}
	slices.Sort(memberNames)
	return memberNames
}

func flip(t sdk.Transition) sdk.Transition {
	if t == sdk.TransitionStop {
		return sdk.TransitionStart
	}
	return sdk.TransitionStop
}

// envInt reads a positive whole number from the environment.
func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}

// newHTTPClient is a client with its own connection pool, keeping up to
// conns connections.
func newHTTPClient(conns int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = conns
	return &http.Client{Transport: tr}
}

// forEach runs fn on what in yields, n at a time, until in closes or fn
// fails; it returns the first error.
func forEach[T any](n int, in <-chan T, fn func(T) error) error {
	var first atomic.Pointer[error]
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for v := range in {
				if first.Load() != nil {
					continue // drain
				}
				if err := fn(v); err != nil {
					first.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()
	if p := first.Load(); p != nil {
		return *p
	}
	return nil
}

// waitBuilds waits until the latest builds of all n workspaces are done,
// and returns the workspaces then.
func waitBuilds(ctx context.Context, c *sdk.Client, n int) ([]sdk.Workspace, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ws, err := c.Workspaces(ctx, sdk.WorkspaceFilter{})
		if err != nil {
			return nil, err
		}
		done := 0
		for _, w := range ws {
			switch w.LatestBuild.Job.Status {
			case sdk.JobSucceeded:
				done++
			case sdk.JobFailed, sdk.JobCanceled:
				return nil, fmt.Errorf("build of %s: %s: %s", w.Name, w.LatestBuild.Job.Status, w.LatestBuild.Job.Error)
			}
		}
		if len(ws) == n && done == n {
			return ws, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d builds done: %w", done, n, ctx.Err())
		case <-tick.C:
		}
	}
}

// waitJobs waits until no job is pending or running. It asks the database
// directly, cheaply, so that waiting does not load the server it measures.
func waitJobs(ctx context.Context, srv *servertest.Server) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		var n int
		if err := srv.DB.QueryRow(ctx, "SELECT count(*) FROM provisioner_jobs WHERE completed_at IS NULL").Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d jobs not done: %w", n, ctx.Err())
		case <-tick.C:
		}
	}
}

// followJob follows a job's log until it is done and returns the job.
func followJob(ctx context.Context, c *sdk.Client, id uuid.UUID) (sdk.ProvisionerJob, error) {
	var job sdk.ProvisionerJob
	err := c.JobLogs(ctx, id, 0, true, func(ev sdk.JobEvent) error {
		if ev.Job != nil {
			job = *ev.Job
		}
		return nil
	})
	if err == nil && job.Status != sdk.JobSucceeded {
		err = fmt.Errorf("job %s: %s: %s", id, job.Status, job.Error)
	}
	if err == nil && job.StartedAt == nil {
		err = errors.New("a done job without started_at")
	}
	return job, err
}

func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ms(d time.Duration) string { return strconv.FormatFloat(msf(d), 'f', 1, 64) + "ms" }
