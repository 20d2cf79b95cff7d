module vm386init

go 1.26
