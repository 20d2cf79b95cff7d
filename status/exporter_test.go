package status

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/status/internal/statustest"
)

// exporterPool and exporterProc are how a typical exporter (for example
// hipages/php-fpm_exporter) reads "?json&full": the field names as keys,
// the start time as an integer.
type exporterPool struct {
	Name                string         `json:"pool"`
	ProcessManager      string         `json:"process manager"`
	StartTime           int64          `json:"start time"`
	StartSince          int64          `json:"start since"`
	AcceptedConnections int64          `json:"accepted conn"`
	ListenQueue         int64          `json:"listen queue"`
	MaxListenQueue      int64          `json:"max listen queue"`
	ListenQueueLength   int64          `json:"listen queue len"`
	IdleProcesses       int64          `json:"idle processes"`
	ActiveProcesses     int64          `json:"active processes"`
	TotalProcesses      int64          `json:"total processes"`
	MaxActiveProcesses  int64          `json:"max active processes"`
	MaxChildrenReached  int64          `json:"max children reached"`
	SlowRequests        int64          `json:"slow requests"`
	MemoryPeak          int64          `json:"memory peak"`
	Processes           []exporterProc `json:"processes"`
}

type exporterProc struct {
	PID               int64   `json:"pid"`
	State             string  `json:"state"`
	StartTime         int64   `json:"start time"`
	StartSince        int64   `json:"start since"`
	Requests          int64   `json:"requests"`
	RequestDuration   int64   `json:"request duration"`
	RequestMethod     string  `json:"request method"`
	RequestURI        string  `json:"request uri"`
	ContentLength     int64   `json:"content length"`
	User              string  `json:"user"`
	Script            string  `json:"script"`
	LastRequestCPU    float64 `json:"last request cpu"`
	LastRequestMemory int64   `json:"last request memory"`
}

// busySnapshot is statustest.BusySnapshot.
var busySnapshot = statustest.BusySnapshot

// TestExporterReadsJSON parses "?json&full" as an exporter does and checks
// that every value of the Snapshot comes back.
func TestExporterReadsJSON(t *testing.T) {
	snap := busySnapshot()
	rec := httptest.NewRecorder()
	(&Handler{Source: fixed(snap)}).ServeHTTP(rec, httptest.NewRequest("GET", "/status?json&full", nil))
	if !strings.Contains(rec.Body.String(), `"request uri":"\/api\/cart.php?id=5&note=\"x\/y\""`) {
		t.Errorf("request uri not escaped as php-fpm does:\n%s", rec.Body)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	var got exporterPool
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decode: %v\n%s", err, rec.Body)
	}
	p := snap.Pool
	want := exporterPool{
		Name: "shop", ProcessManager: "dynamic", StartTime: p.StartTime.Unix(), StartSince: 2727,
		AcceptedConnections: 123456, ListenQueue: 3, MaxListenQueue: 17, ListenQueueLength: 511,
		IdleProcesses: 1, ActiveProcesses: 2, TotalProcesses: 3, MaxActiveProcesses: 5,
		MaxChildrenReached: 4, SlowRequests: 9, MemoryPeak: 8 << 20,
	}
	for _, pr := range snap.Procs {
		e := exporterProc{
			PID: int64(pr.PID), State: pr.Stage.String(), StartTime: pr.StartTime.Unix(),
			StartSince: snap.Taken.Unix() - pr.StartTime.Unix(), Requests: int64(pr.Requests),
			RequestDuration: pr.Duration.Microseconds(), RequestMethod: orDash(pr.Method),
			RequestURI: orDash(pr.RequestURI()), ContentLength: pr.ContentLength,
			User: orDash(pr.User), Script: orDash(pr.Script),
		}
		if pr.Stage == scoreboard.Idle {
			e.LastRequestCPU, e.LastRequestMemory = pr.LastCPU, int64(pr.LastMemory)
		}
		want.Processes = append(want.Processes, e)
	}
	if len(got.Processes) != len(want.Processes) {
		t.Fatalf("got %d processes, want %d", len(got.Processes), len(want.Processes))
	}
	for i := range want.Processes {
		if got.Processes[i] != want.Processes[i] {
			t.Errorf("process %d:\n got %+v\nwant %+v", i, got.Processes[i], want.Processes[i])
		}
	}
	got.Processes, want.Processes = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pool:\n got %+v\nwant %+v", got, want)
	}
}
