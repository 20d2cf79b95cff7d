package errorlog

import (
	"errors"
	"log/slog"
	"testing"
)

func TestParseLevel(t *testing.T) {
	for s, want := range map[string]slog.Level{
		"debug": LevelDebug, "notice": LevelNotice, "warning": LevelWarning, "warn": LevelWarning,
		"error": LevelError, "alert": LevelAlert, "WARNING": LevelWarning, "Notice": LevelNotice,
	} {
		got, err := ParseLevel(s)
		if err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "info", "err", "crit", "notice "} {
		if _, err := ParseLevel(s); !errors.Is(err, ErrLevel) {
			t.Errorf("ParseLevel(%q): %v, want ErrLevel", s, err)
		}
	}
}

func TestLevelName(t *testing.T) {
	for l, want := range map[slog.Level]string{
		LevelDebug - 4: "DEBUG", LevelDebug: "DEBUG", LevelNotice - 1: "DEBUG",
		LevelNotice: "NOTICE", slog.LevelInfo + 2: "NOTICE",
		LevelWarning: "WARNING", LevelError - 1: "WARNING",
		LevelError: "ERROR", LevelAlert - 1: "ERROR",
		LevelAlert: "ALERT", LevelAlert + 8: "ALERT",
	} {
		if got := LevelName(l); got != want {
			t.Errorf("LevelName(%v) = %s, want %s", l, got, want)
		}
	}
}
