package pm

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// lookupUser finds a user by name, or by number when the name is one, and
// returns it with its uid and primary gid.
func lookupUser(name string) (u *user.User, uid, gid int, err error) {
	u, err = user.Lookup(name)
	if err != nil {
		if _, numErr := strconv.Atoi(name); numErr == nil {
			if byID, idErr := user.LookupId(name); idErr == nil {
				u, err = byID, nil
			}
		}
	}
	if err != nil {
		return nil, 0, 0, err
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return u, uid, gid, nil
}

// lookupGroup returns the id of a group given by name or number.
func lookupGroup(name string) (int, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		if _, numErr := strconv.Atoi(name); numErr == nil {
			g, err = user.LookupGroupId(name)
		}
	}
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(g.Gid)
}

// workerCredential returns the account the workers run as (user and group,
// and the user's supplementary groups, as initgroups gives them): nil when
// c sets neither. A master that is not root (euid) cannot switch: the
// directives are then ignored, with PHP-FPM's notices.
func workerCredential(c *Config, euid int) (cred *syscall.Credential, notices []string, err error) {
	if c.User == "" && c.Group == "" {
		return nil, nil, nil
	}
	if euid != 0 {
		for _, d := range []struct{ name, value string }{{"user", c.User}, {"group", c.Group}} {
			if d.value != "" {
				notices = append(notices, fmt.Sprintf("[pool %s] '%s' directive is ignored when fpmshm is not running as root", c.Pool, d.name))
			}
		}
		return nil, notices, nil
	}
	cred = &syscall.Credential{Uid: uint32(euid), Gid: uint32(os.Getegid()), NoSetGroups: true}
	if c.User != "" {
		u, uid, gid, err := lookupUser(c.User)
		if err != nil {
			return nil, nil, fmt.Errorf("pool %s: %w: cannot get uid for user '%s': %v", c.Pool, ErrConfig, c.User, err)
		}
		cred.Uid, cred.Gid, cred.NoSetGroups = uint32(uid), uint32(gid), false
		ids, _ := u.GroupIds()
		for _, id := range ids {
			if n, err := strconv.Atoi(id); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	if c.Group != "" {
		gid, err := lookupGroup(c.Group)
		if err != nil {
			return nil, nil, fmt.Errorf("pool %s: %w: cannot get gid for group '%s': %v", c.Pool, ErrConfig, c.Group, err)
		}
		cred.Gid = uint32(gid)
	}
	return cred, nil, nil
}

// socketPermissions gives a unix socket listener at path the owner, group
// and mode of listen.owner, listen.group and listen.mode.
func socketPermissions(path string, c *Config) error {
	uid, gid := -1, -1
	if c.ListenOwner != "" {
		var err error
		if _, uid, _, err = lookupUser(c.ListenOwner); err != nil {
			return fmt.Errorf("pool %s: %w: cannot get uid for listen.owner '%s': %v", c.Pool, ErrConfig, c.ListenOwner, err)
		}
	}
	if c.ListenGroup != "" {
		var err error
		if gid, err = lookupGroup(c.ListenGroup); err != nil {
			return fmt.Errorf("pool %s: %w: cannot get gid for listen.group '%s': %v", c.Pool, ErrConfig, c.ListenGroup, err)
		}
	}
	if uid != -1 || gid != -1 {
		if err := os.Chown(path, uid, gid); err != nil {
			return fmt.Errorf("listen %s: give the socket to listen.owner %q and listen.group %q: %w", path, c.ListenOwner, c.ListenGroup, err)
		}
	}
	if err := os.Chmod(path, c.ListenMode); err != nil {
		return fmt.Errorf("listen %s: set the socket's listen.mode %#o: %w", path, uint32(c.ListenMode), err)
	}
	return nil
}
