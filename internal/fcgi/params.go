package fcgi

import (
	"encoding/binary"
	"fmt"
)

// ParseParams adds the name-value pairs of a complete FCGI_PARAMS (or
// FCGI_GET_VALUES) stream to m. A pair cut short is a *ProtocolError.
func ParseParams(b []byte, m map[string]string) error {
	for len(b) > 0 {
		name, value, rest, err := nextPair(b)
		if err != nil {
			return err
		}
		m[paramName(name)] = string(value)
		b = rest
	}
	return nil
}

// nextPair splits the first name-value pair off b.
func nextPair(b []byte) (name, value, rest []byte, err error) {
	nameLen, n := pairLength(b)
	if n == 0 {
		return nil, nil, nil, &ProtocolError{Type: TypeParams, Reason: "name length cut short"}
	}
	b = b[n:]
	valueLen, n := pairLength(b)
	if n == 0 {
		return nil, nil, nil, &ProtocolError{Type: TypeParams, Reason: "value length cut short"}
	}
	b = b[n:]
	if uint64(len(b)) < uint64(nameLen)+uint64(valueLen) {
		return nil, nil, nil, &ProtocolError{Type: TypeParams, Reason: fmt.Sprintf("pair of %d+%d bytes in the %d left of the stream", nameLen, valueLen, len(b))}
	}
	return b[:nameLen], b[nameLen : nameLen+valueLen], b[nameLen+valueLen:], nil
}

// pairLength decodes a name or value length: one byte below 128, else four
// bytes with the high bit set. It returns the bytes used, 0 if b is short.
func pairLength(b []byte) (uint32, int) {
	if len(b) == 0 {
		return 0, 0
	}
	if b[0]>>7 == 0 {
		return uint32(b[0]), 1
	}
	if len(b) < 4 {
		return 0, 0
	}
	return binary.BigEndian.Uint32(b) &^ (1 << 31), 4
}

// AppendPair appends one name-value pair, encoded as in FCGI_PARAMS.
func AppendPair(b []byte, name, value string) []byte {
	b = appendLength(b, len(name))
	b = appendLength(b, len(value))
	return append(append(b, name...), value...)
}

func appendLength(b []byte, n int) []byte {
	if n < 128 {
		return append(b, byte(n))
	}
	return binary.BigEndian.AppendUint32(b, uint32(n)|1<<31)
}

// paramName is name as a string, without allocating for the names web
// servers send with every request.
func paramName(name []byte) string {
	if s, ok := commonParams[string(name)]; ok { // looked up without a copy
		return s
	}
	return string(name)
}

// commonParams holds the names of nginx's fastcgi_params and of the common
// request headers, each its own value.
var commonParams = func() map[string]string {
	m := map[string]string{}
	for _, name := range []string{
		"QUERY_STRING", "REQUEST_METHOD", "CONTENT_TYPE", "CONTENT_LENGTH", "SCRIPT_NAME",
		"SCRIPT_FILENAME", "PATH_INFO", "REQUEST_URI", "DOCUMENT_URI", "DOCUMENT_ROOT",
		"SERVER_PROTOCOL", "REQUEST_SCHEME", "HTTPS", "GATEWAY_INTERFACE", "SERVER_SOFTWARE",
		"REMOTE_ADDR", "REMOTE_PORT", "REMOTE_USER", "SERVER_ADDR", "SERVER_PORT", "SERVER_NAME",
		"REDIRECT_STATUS", "HTTP_HOST", "HTTP_USER_AGENT", "HTTP_ACCEPT", "HTTP_ACCEPT_ENCODING",
		"HTTP_ACCEPT_LANGUAGE", "HTTP_CONNECTION", "HTTP_COOKIE", "HTTP_REFERER", "HTTP_AUTHORIZATION",
	} {
		m[name] = name
	}
	return m
}()
