package pm

import (
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// BenchmarkStages is the scoreboard's cost per request in a worker, all
// that -no-scoreboard saves: the stage updates and the readings of the
// CPU clock and the heap's count at each end of the request.
func BenchmarkStages(b *testing.B) {
	board, err := scoreboard.New(scoreboard.Config{Pool: "bench", PM: Static, MaxChildren: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer board.Close()
	i, err := board.AllocSlot()
	if err != nil {
		b.Fatal(err)
	}
	if err := board.Started(i, os.Getpid()); err != nil {
		b.Fatal(err)
	}
	slot, err := board.Slot(i)
	if err != nil {
		b.Fatal(err)
	}
	st := newStages(slot)
	r := &http.Request{Method: "GET", URL: &url.URL{Path: "/index.php", RawQuery: "n=1"}}
	for b.Loop() {
		st.begin()
		st.info(r, "/index.php", "/srv/www/index.php", "")
		st.end()
		st.accepting()
	}
}
