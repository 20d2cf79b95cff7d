// Package fcgi is the FastCGI wire format as a fpmshm worker speaks it: the
// application side of one web-server connection at a time, one request at a
// time (FCGI_MAX_CONNS and FCGI_MAX_REQS are 1, FCGI_MPXS_CONNS is 0).
//
// A Conn reads requests from any io.Reader and writes responses to any
// io.Writer, so the caller chooses the descriptor and its deadlines. Every
// read is bounded: a record holds at most 65535 bytes of content and 255 of
// padding, the FCGI_PARAMS stream of a request is cut at a byte limit, and
// the body (FCGI_STDIN) is streamed to the reader of Body, never held whole.
// Records that begin no request (management records, records of other
// requests) are bounded in count and bytes, and the wait for a request that
// they prolong in time (SetWaitLimit).
// Buffers are reused from one request and connection to the next.
//
// Errors of a peer that breaks the protocol (a bad version, a record type
// or length the specification does not allow, a record cut short) are
// *ProtocolError and match ErrProtocol; the connection cannot be used after
// one. A request whose parameters exceed the limit fails with an error
// matching ErrParamsTooLarge, one aborted by the web server with ErrAborted.
package fcgi
