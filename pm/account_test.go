package pm

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestWorkerCredential resolves user and group as PHP-FPM does: by name or
// number, the group defaulting to the user's; ignored with a notice unless
// the master is root; an unknown name is a configuration error.
func TestWorkerCredential(t *testing.T) {
	c := &Config{Pool: "www", User: "nobody"}
	cred, notices, err := workerCredential(c, 1000)
	if cred != nil || err != nil || len(notices) != 1 || !strings.Contains(notices[0], "'user' directive is ignored when fpmshm is not running as root") {
		t.Errorf("not root: %+v, %q, %v; want nil and a notice", cred, notices, err)
	}
	nobody, uid, gid, err := lookupUser("nobody")
	if err != nil {
		t.Skip("no user nobody here:", err)
	}
	for _, user := range []string{"nobody", nobody.Uid} {
		cred, notices, err := workerCredential(&Config{User: user}, 0)
		if err != nil || len(notices) != 0 || cred == nil || cred.Uid != uint32(uid) || cred.Gid != uint32(gid) || cred.NoSetGroups {
			t.Errorf("root, user %q: %+v, %q, %v; want nobody's uid and primary group", user, cred, notices, err)
		}
	}
	cred, _, err = workerCredential(&Config{User: "nobody", Group: "0"}, 0)
	if err != nil || cred.Gid != 0 {
		t.Errorf("root, group 0: %+v, %v", cred, err)
	}
	cred, _, err = workerCredential(&Config{Group: "0"}, 0)
	if err != nil || cred.Uid != 0 || cred.Gid != 0 || !cred.NoSetGroups {
		t.Errorf("root, group only: %+v, %v; want the master's uid, that group, its groups kept", cred, err)
	}
	for _, bad := range []Config{{Pool: "www", User: "no-such-user-here"}, {Pool: "www", Group: "no-such-group-here"}} {
		if _, _, err := workerCredential(&bad, 0); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "no-such-") {
			t.Errorf("%+v: %v, want ErrConfig naming it", bad, err)
		}
	}
}

// TestSocketPermissions gives a unix socket listen.owner, listen.group and
// listen.mode, and refuses unknown names with ErrConfig.
func TestSocketPermissions(t *testing.T) {
	path := t.TempDir() + "/fcgi.sock"
	c := &Config{Pool: "www", PM: Static, MaxChildren: 1, Listen: path, ListenMode: 0o640, ListenGroup: "0"}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	l, err := listen(kindFastCGI, path, c)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("socket mode %v (%v), want 0640", fi.Mode(), err)
	}
	l.Close()
	c.ListenOwner = "no-such-user-here"
	if l, err := listen(kindFastCGI, path, c); !errors.Is(err, ErrConfig) {
		if l != nil {
			l.Close()
		}
		t.Fatalf("listen.owner unknown: %v, want ErrConfig", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("a socket refused for its listen.owner was left at %s", path)
	}
}
