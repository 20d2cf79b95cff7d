package main

import (
	"testing"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func TestMain(m *testing.M) { testproc.Main(m) }
