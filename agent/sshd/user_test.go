package sshd

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestLookupAccount(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd")
	content := "# comment\n" +
		"+nis:x:1000:1000::/nis:/bin/sh\n" +
		"dev:x:1000:1000:Dev,,,:/home/dev:/bin/sh\n" +
		"svc:x:1001:1001::/var/svc:/usr/sbin/nologin\n" +
		"gone:x:1002:1002::/home/gone:/no/such/shell\n" +
		"dup:x:1000:1000::/home/dup:/bin/sh\n"
	if err := os.WriteFile(passwd, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(kv map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
	}
	for _, tc := range []struct {
		name     string
		passwd   string
		uid      int
		env      map[string]string
		override string
		want     account
	}{
		{"listed", passwd, 1000, nil, "", account{"dev", "/home/dev", "/bin/sh"}},
		{"override", passwd, 1000, nil, "/bin/zsh", account{"dev", "/home/dev", "/bin/zsh"}},
		{"nologin falls back to $SHELL", passwd, 1001, map[string]string{"SHELL": "/bin/sh"}, "", account{"svc", "/var/svc", "/bin/sh"}},
		{"missing shell falls back to /bin/sh", passwd, 1002, map[string]string{"SHELL": "/no/such"}, "", account{"gone", "/home/gone", "/bin/sh"}},
		{"unlisted uses the environment", passwd, 4242, map[string]string{"USER": "ann", "HOME": "/home/ann", "SHELL": "/bin/sh"}, "", account{"ann", "/home/ann", "/bin/sh"}},
		{"unlisted LOGNAME", passwd, 4242, map[string]string{"LOGNAME": "bob"}, "", account{"bob", "/", "/bin/sh"}},
		{"unlisted bare", passwd, 4242, nil, "", account{"uid4242", "/", "/bin/sh"}},
		{"no passwd, root", filepath.Join(dir, "none"), 0, nil, "", account{"root", "/", "/bin/sh"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := lookupAccount(tc.passwd, tc.uid, env(tc.env), tc.override); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSessionDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir, home, want string
		err             bool
	}{
		{dir, "/nowhere", dir, false},
		{"", dir, dir, false},
		{"", "/nowhere", "/", true},
		{file, dir, "/", true},
	} {
		got, err := sessionDir(tc.dir, tc.home)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("sessionDir(%q, %q) = %q, %v", tc.dir, tc.home, got, err)
		}
	}
}

func TestDedupEnv(t *testing.T) {
	t.Parallel()
	got := dedupEnv([]string{"A=1", "B=2", "junk", "A=3", "C=", "B=4=5"})
	if want := []string{"A=3", "B=4=5", "C="}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
