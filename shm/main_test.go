package shm

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func TestMain(m *testing.M) { testproc.Main(m) }

// uniqueName returns a segment name no other test of this process uses:
// Inherited takes each name once per process.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), nameSeq.Add(1))
}

var nameSeq atomic.Int64
