package shm_test

import (
	"fmt"
	"log"

	"github.com/fpmshm/fpmshm/shm"
)

// Alloc and Free are fpm_shm_alloc and fpm_shm_free; Allocated is
// fpm_shm_get_size_allocated.
func ExampleAlloc() {
	before := shm.Allocated()
	seg, err := shm.Alloc(3632)
	if err != nil {
		log.Fatal(err)
	}
	copy(seg.Bytes(), "scoreboard")
	fmt.Println(seg.Len(), "bytes;", shm.Allocated()-before, "bytes have been reserved in SHM")
	if err := seg.Free(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(shm.Allocated()-before, "bytes after Free")
	// Output:
	// 3632 bytes; 3632 bytes have been reserved in SHM
	// 0 bytes after Free
}

// Map takes mmap's whole table; a refused call says why, and errors.Is
// matches the errno.
func ExampleMap() {
	seg, err := shm.Map(shm.Options{
		Size:  4096,
		Prot:  shm.ProtRead | shm.ProtWrite,
		Flags: shm.Shared | shm.Anonymous,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer seg.Free()
	fmt.Println(seg.Info().Backing, seg.Info().Flags)

	_, err = shm.Map(shm.Options{Size: 4096, Prot: shm.ProtRead, Flags: shm.Anonymous})
	fmt.Println(err)
	// Output:
	// anonymous shared|anonymous
	// shm: map (4096 bytes): invalid combination of flags
}
