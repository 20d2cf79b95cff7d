package main

import (
	"fmt"
	"log/slog"
	"os"
	"slices"

	"github.com/fpmshm/fpmshm/pm"
)

// exitConfig is the exit code of a configuration that does not pass
// serve -t, or of a master that could not start: EX_CONFIG, as php-fpm's.
const exitConfig = 78

// exitUsage is serve's exit code for a flag it does not know, a flag's
// value it cannot parse or an argument it does not take: EX_USAGE, as
// php-fpm's for its command line.
const exitUsage = 64

// testConfig is serve -t and -tt: it checks cfg as Run would before it
// starts (Config.Check), and logs php-fpm's lines for the result: the
// effective configuration first with -tt, then "configuration file FILE
// test is successful", or the error and "FPM initialization failed". It
// returns the exit code: 0, or exitConfig.
func testConfig(log *slog.Logger, pools []pm.Config, opts serveOptions) int {
	for i := range pools {
		if err := pools[i].Check(); err != nil {
			initFailed(log, err)
			return exitConfig
		}
	}
	if opts.test > 1 {
		for i := range pools {
			lines := pm.ConfigLines(&pools[i])
			if i > 0 { // [global] once, then each pool's section
				lines = lines[max(slices.Index(lines, "["+pools[i].Pool+"]"), 0):]
			}
			for _, l := range lines {
				log.Info(l)
			}
		}
	}
	if opts.file == "" {
		log.Info("configuration (flags and defaults, no -y file) test is successful")
	} else {
		log.Info(fmt.Sprintf("configuration file %s test is successful", opts.file))
	}
	fmt.Fprintln(os.Stderr) // php-fpm's message ends in a newline of its own: an empty line follows
	return 0
}

// initFailed logs why serve could not start, each error of errs on a line
// of its own (the joined errors of a configuration file each on theirs),
// then php-fpm's "FPM initialization failed".
func initFailed(log *slog.Logger, errs ...error) {
	for _, err := range errs {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				log.Error(e.Error())
			}
			continue
		}
		log.Error(err.Error())
	}
	log.Error("FPM initialization failed")
}
