package shm_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"

	"github.com/fpmshm/fpmshm/shm"
)

// The master allocates a segment and hands it to a worker it is about to
// start; ExtraFiles may already hold other descriptors, such as the
// listening socket.
func ExampleSegment_ShareWith() {
	seg, err := shm.AllocWith(3632, shm.AllocOptions{Name: "scoreboard"})
	if err != nil {
		log.Fatal(err)
	}
	defer seg.Free()
	cmd := exec.Command("/usr/local/bin/worker")
	cmd.Env = []string{"PATH=/usr/bin"}
	cmd.ExtraFiles = []*os.File{os.Stdin} // the listening socket, say: fd 3 in the child
	if err := seg.ShareWith(cmd); err != nil {
		log.Fatal(err)
	}
	fmt.Println(cmd.Env[1])
	// Then cmd.Start(); the worker calls shm.Inherited("scoreboard").

	// Output:
	// FPMSHM_SEGMENTS=scoreboard:4:3632
}

// A worker takes up the segment its master handed to it with ShareWith.
func ExampleInherited() {
	seg, err := shm.Inherited("scoreboard")
	if errors.Is(err, shm.ErrNotInherited) {
		log.Fatal("not started by a master: ", err)
	}
	if err != nil {
		log.Fatal(err) // a forged or mismatched hand-over: ErrHandOver, ErrHeader
	}
	defer seg.Free() // unmaps and closes the inherited descriptor
	fmt.Println(seg.Len(), seg.Tag())
}
