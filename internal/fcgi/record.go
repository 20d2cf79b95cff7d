package fcgi

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Version1 is the only FastCGI protocol version.
const Version1 = 1

// Record types (FastCGI specification, section 8).
const (
	TypeBeginRequest    = 1
	TypeAbortRequest    = 2
	TypeEndRequest      = 3
	TypeParams          = 4
	TypeStdin           = 5
	TypeStdout          = 6
	TypeStderr          = 7
	TypeData            = 8
	TypeGetValues       = 9
	TypeGetValuesResult = 10
	TypeUnknownType     = 11
)

// Roles of FCGI_BEGIN_REQUEST, and its flag.
const (
	RoleResponder  = 1
	RoleAuthorizer = 2
	RoleFilter     = 3

	FlagKeepConn = 1
)

// Protocol statuses of FCGI_END_REQUEST.
const (
	StatusRequestComplete = 0
	StatusCantMpxConn     = 1
	StatusOverloaded      = 2
	StatusUnknownRole     = 3
)

// HeaderLen is the length of a record header; MaxContent the most content
// one record carries; MaxPadding the most padding after it.
const (
	HeaderLen  = 8
	MaxContent = 65535
	MaxPadding = 255
)

// ErrProtocol is matched (errors.Is) by every *ProtocolError.
var ErrProtocol = errors.New("fastcgi protocol error")

// ProtocolError is a record the peer should not have sent, or one cut
// short. The connection it came on cannot carry another request.
type ProtocolError struct {
	Type   uint8  // the record's type, 0 when the header itself was cut short
	ID     uint16 // the record's request id
	Reason string // what is wrong with it, in words
	Err    error  // the read error behind it (io.ErrUnexpectedEOF), or nil
}

func (e *ProtocolError) Error() string {
	s := fmt.Sprintf("fastcgi protocol error: %s", e.Reason)
	if e.Type != 0 {
		s = fmt.Sprintf("fastcgi protocol error: record of type %s, request %d: %s", typeName(e.Type), e.ID, e.Reason)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrProtocol and the read error behind e, if any.
func (e *ProtocolError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrProtocol}
	}
	return []error{ErrProtocol, e.Err}
}

// Header is a record header.
type Header struct {
	Version uint8
	Type    uint8
	ID      uint16
	Len     uint16 // content length
	Pad     uint8  // padding length
}

// ParseHeader decodes the first HeaderLen bytes of b, which must hold them.
func ParseHeader(b []byte) Header {
	return Header{Version: b[0], Type: b[1], ID: binary.BigEndian.Uint16(b[2:]), Len: binary.BigEndian.Uint16(b[4:]), Pad: b[6]}
}

// AppendHeader appends the header of a record of type typ for request id
// with n bytes of content and pad bytes of padding.
func AppendHeader(b []byte, typ uint8, id uint16, n int, pad int) []byte {
	return append(b, Version1, typ, byte(id>>8), byte(id), byte(n>>8), byte(n), byte(pad), 0)
}

// PaddingFor is the padding that ends a record of n content bytes on a
// multiple of 8, as the specification recommends.
func PaddingFor(n int) int { return -n & 7 }

// checkFromWebServer reports what is wrong with a record header a web
// server sent, or nil: the version, a type only an application sends or
// none defines for a request, a request id where none belongs or missing
// where one does, a length its type does not allow.
func checkFromWebServer(h Header) error {
	bad := func(reason string) error { return &ProtocolError{Type: h.Type, ID: h.ID, Reason: reason} }
	if h.Version != Version1 {
		return &ProtocolError{Type: h.Type, ID: h.ID, Reason: fmt.Sprintf("version %d, want %d", h.Version, Version1)}
	}
	switch h.Type {
	case TypeBeginRequest:
		if h.ID == 0 {
			return bad("request id 0 is for management records")
		}
		if h.Len != 8 {
			return bad(fmt.Sprintf("content length %d, want 8", h.Len))
		}
	case TypeAbortRequest, TypeParams, TypeStdin, TypeData:
		if h.ID == 0 {
			return bad("request id 0 is for management records")
		}
	case TypeGetValues:
		if h.ID != 0 {
			return bad("a management record with a request id")
		}
	case TypeEndRequest, TypeStdout, TypeStderr, TypeGetValuesResult, TypeUnknownType:
		return bad("a record only an application sends")
	default:
		if h.ID != 0 {
			return bad("unknown record type for a request")
		}
	}
	return nil
}

// typeName names a record type as the specification does.
func typeName(t uint8) string {
	names := [...]string{"", "FCGI_BEGIN_REQUEST", "FCGI_ABORT_REQUEST", "FCGI_END_REQUEST", "FCGI_PARAMS",
		"FCGI_STDIN", "FCGI_STDOUT", "FCGI_STDERR", "FCGI_DATA", "FCGI_GET_VALUES",
		"FCGI_GET_VALUES_RESULT", "FCGI_UNKNOWN_TYPE"}
	if int(t) < len(names) && t != 0 {
		return names[t]
	}
	return fmt.Sprintf("%d", t)
}
