//go:build unix

package h1

import (
	"net"
	"syscall"
)

// socketQuiet reports whether c is open with nothing to read, asking the
// socket without waiting and without taking what it holds (MSG_PEEK);
// false for a connection that is not a socket.
func socketQuiet(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var (
		n    int
		perr error
		b    [1]byte
	)
	if err := rc.Read(func(fd uintptr) bool {
		n, _, perr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait
	}); err != nil {
		return false
	}
	return n <= 0 && (perr == syscall.EAGAIN || perr == syscall.EWOULDBLOCK)
}
