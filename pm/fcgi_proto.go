package pm

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// FastCGI record types and constants (FastCGI specification, section 8).
const (
	fcgiVersion = 1

	typeBeginRequest    = 1
	typeAbortRequest    = 2
	typeEndRequest      = 3
	typeParams          = 4
	typeStdin           = 5
	typeStdout          = 6
	typeStderr          = 7
	typeData            = 8
	typeGetValues       = 9
	typeGetValuesResult = 10
	typeUnknownType     = 11

	roleResponder = 1
	flagKeepConn  = 1

	statusRequestComplete = 0
	statusCantMpxConn     = 1
	statusUnknownRole     = 3

	maxRecordContent = 65535
)

// errProtocol is matched by errors of a peer that breaks the protocol.
var errProtocol = errors.New("fastcgi protocol error")

// record is one FastCGI record; content is valid until the next read.
type record struct {
	typ     uint8
	id      uint16
	content []byte
}

// recordReader reads records from a connection.
type recordReader struct {
	r   *bufio.Reader
	buf [maxRecordContent + 255]byte
}

// next reads one record.
func (rr *recordReader) next() (record, error) {
	var h [8]byte
	if _, err := io.ReadFull(rr.r, h[:]); err != nil {
		return record{}, err
	}
	if h[0] != fcgiVersion {
		return record{}, fmt.Errorf("%w: version %d", errProtocol, h[0])
	}
	n := int(binary.BigEndian.Uint16(h[4:])) + int(h[6])
	if _, err := io.ReadFull(rr.r, rr.buf[:n]); err != nil {
		return record{}, fmt.Errorf("%w: short record: %v", errProtocol, err)
	}
	return record{typ: h[1], id: binary.BigEndian.Uint16(h[2:]), content: rr.buf[:binary.BigEndian.Uint16(h[4:])]}, nil
}

// writeRecord writes one record of at most maxRecordContent bytes, padded
// to a multiple of 8 as the specification recommends.
func writeRecord(w *bufio.Writer, typ uint8, id uint16, content []byte) error {
	pad := (8 - len(content)%8) % 8
	h := [8]byte{fcgiVersion, typ, byte(id >> 8), byte(id), byte(len(content) >> 8), byte(len(content)), byte(pad), 0}
	w.Write(h[:])
	w.Write(content)
	var zeros [8]byte
	_, err := w.Write(zeros[:pad])
	return err
}

// writeEndRequest ends request id with the given protocol status.
func writeEndRequest(w *bufio.Writer, id uint16, appStatus uint32, protocolStatus uint8) error {
	var b [8]byte
	binary.BigEndian.PutUint32(b[:], appStatus)
	b[4] = protocolStatus
	return writeRecord(w, typeEndRequest, id, b[:])
}

// parseParams adds the name-value pairs of a PARAMS stream to m.
func parseParams(b []byte, m map[string]string) error {
	for len(b) > 0 {
		nameLen, n := pairLength(b)
		if n == 0 {
			return fmt.Errorf("%w: bad name length in params", errProtocol)
		}
		b = b[n:]
		valueLen, n := pairLength(b)
		if n == 0 {
			return fmt.Errorf("%w: bad value length in params", errProtocol)
		}
		b = b[n:]
		if uint64(len(b)) < uint64(nameLen)+uint64(valueLen) {
			return fmt.Errorf("%w: params pair longer than its stream", errProtocol)
		}
		m[string(b[:nameLen])] = string(b[nameLen : nameLen+valueLen])
		b = b[nameLen+valueLen:]
	}
	return nil
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

// appendPair encodes one name-value pair.
func appendPair(b []byte, name, value string) []byte {
	for _, s := range []string{name, value} {
		if len(s) < 128 {
			b = append(b, byte(len(s)))
		} else {
			b = binary.BigEndian.AppendUint32(b, uint32(len(s))|1<<31)
		}
	}
	return append(append(b, name...), value...)
}

// streamWriter writes a STDOUT (or STDERR) stream as records, buffering up
// to one record's worth.
type streamWriter struct {
	w   *bufio.Writer
	typ uint8
	id  uint16
	buf []byte
}

// Write buffers p, sending each full record.
func (s *streamWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(s.buf) == maxRecordContent {
			if err := s.flushRecord(); err != nil {
				return n - len(p), err
			}
		}
		k := copy(s.buf[len(s.buf):maxRecordContent], p)
		s.buf = s.buf[:len(s.buf)+k]
		p = p[k:]
	}
	return n, nil
}

// flushRecord writes what is buffered as one record.
func (s *streamWriter) flushRecord() error {
	if len(s.buf) == 0 {
		return nil
	}
	err := writeRecord(s.w, s.typ, s.id, s.buf)
	s.buf = s.buf[:0]
	return err
}

// Flush sends everything written so far to the peer.
func (s *streamWriter) Flush() error {
	if err := s.flushRecord(); err != nil {
		return err
	}
	return s.w.Flush()
}

// close writes the rest and the empty record that ends the stream.
func (s *streamWriter) close() error {
	if err := s.flushRecord(); err != nil {
		return err
	}
	return writeRecord(s.w, s.typ, s.id, nil)
}
