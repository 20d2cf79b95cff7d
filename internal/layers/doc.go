// Package layers holds no code, only a test of the module's import graph:
// layers_test.go declares fpmshm's layers, lowest first, and fails on an
// import that points up a layer, on a test-only package imported by a
// program, and on client_golang or the INI library imported outside the
// one package that may use it.
package layers
