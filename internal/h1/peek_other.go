//go:build !unix

package h1

import "net"

// socketQuiet cannot look without waiting here: a connection is not
// reused.
func socketQuiet(net.Conn) bool { return false }
