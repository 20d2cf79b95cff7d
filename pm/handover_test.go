package pm

import (
	"strings"
	"testing"
)

// TestHandoverRefusesStdioDescriptors checks that a worker refuses a
// hand-over that names its standard input, output or error as a
// descriptor from the master: it would take its standard output over as
// the error log, or mark it close-on-exec, instead of failing clearly.
func TestHandoverRefusesStdioDescriptors(t *testing.T) {
	valid := map[string]string{
		envSlot: "0", envParentFD: "3", envReadyFD: "4",
		envListenFDs: kindFastCGI + "=5", envConfig: "{}",
		envAccessFD: "", envSlowlogFD: "", envLogsFD: "", envErrorLogFD: "",
	}
	for _, key := range []string{envParentFD, envReadyFD, envAccessFD, envSlowlogFD, envLogsFD, envErrorLogFD} {
		for _, fd := range []string{"0", "1", "2"} {
			for k, v := range valid {
				t.Setenv(k, v)
			}
			t.Setenv(key, fd)
			_, err := readHandover()
			if err == nil || !strings.Contains(err.Error(), key+" "+fd+": a handed-over descriptor is 3 or more") {
				t.Errorf("%s=%s: readHandover error %v, want it refused", key, fd, err)
			}
		}
	}
	for k, v := range valid {
		t.Setenv(k, v)
	}
	if _, err := readHandover(); err != nil {
		t.Errorf("a valid hand-over: %v", err)
	}
}
