package fcgi_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/fpmshm/fpmshm/internal/fcgi"
	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
)

// A worker serves the requests of one web-server connection in turn: Next,
// ReadParams, the body as a stream, then the response and EndRequest.
func ExampleConn() {
	// What a web server sends: one request, its parameters, a body of two records.
	var in bytes.Buffer
	fcgitest.WriteRecord(&in, fcgi.TypeBeginRequest, 1, []byte{0, fcgi.RoleResponder, 0, 0, 0, 0, 0, 0})
	fcgitest.WriteRecord(&in, fcgi.TypeParams, 1, fcgi.AppendPair(nil, "SCRIPT_NAME", "/hello"))
	fcgitest.WriteRecord(&in, fcgi.TypeParams, 1, nil)
	fcgitest.WriteRecord(&in, fcgi.TypeStdin, 1, []byte("wor"))
	fcgitest.WriteRecord(&in, fcgi.TypeStdin, 1, []byte("ld"))
	fcgitest.WriteRecord(&in, fcgi.TypeStdin, 1, nil)

	var out bytes.Buffer
	c := fcgi.NewConn(1 << 20)
	c.Reset(&in, &out)
	for {
		req, err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		params, err := c.ReadParams()
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(c.Body())
		fmt.Fprintf(c.Stdout(), "Status: 200 OK\r\n\r\n%s %s", params["SCRIPT_NAME"], body)
		c.EndRequest(0)
		fmt.Printf("request %d answered, keep the connection: %v\n", req.ID, req.KeepConn)
	}
	fmt.Printf("%q\n", stdoutOf(out.Bytes()))
	// Output:
	// request 1 answered, keep the connection: false
	// "Status: 200 OK\r\n\r\n/hello world"
}

// stdoutOf returns the FCGI_STDOUT stream of what an application wrote.
func stdoutOf(b []byte) string {
	var stdout []byte
	for len(b) >= fcgi.HeaderLen {
		h := fcgi.ParseHeader(b)
		if h.Type == fcgi.TypeStdout {
			stdout = append(stdout, b[fcgi.HeaderLen:fcgi.HeaderLen+int(h.Len)]...)
		}
		b = b[fcgi.HeaderLen+int(h.Len)+int(h.Pad):]
	}
	return string(stdout)
}
