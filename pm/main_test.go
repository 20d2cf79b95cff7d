package pm

import (
	"testing"

	"github.com/fpmshm/fpmshm/internal/testproc"
	"github.com/fpmshm/fpmshm/shm"
)

func TestMain(m *testing.M) { testproc.Main(m, shm.Trim) }
