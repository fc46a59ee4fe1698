package sdk

import "testing"

func TestParseURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"127.0.0.1:3000":          "http://127.0.0.1:3000",
		"localhost:3000/":         "http://localhost:3000",
		"den.example.com":         "https://den.example.com",
		"http://127.0.0.1:3000//": "http://127.0.0.1:3000",
		"https://x.example/den/":  "https://x.example/den",
		"[::1]:3000":              "http://[::1]:3000",
	} {
		u, err := ParseURL(in)
		if err != nil || u.String() != want {
			t.Errorf("ParseURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x", "http://", "://x"} {
		if _, err := ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) succeeded", bad)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	f.Add("127.0.0.1:3000")
	f.Add("https://den.example.com/x?y#z")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			t.Fatalf("ParseURL(%q) = %v", s, u)
		}
	})
}
