// Command hookworker runs chatbot webhooks off the conversation's hot path:
// it consumes ConnectionFired events from NATS JetStream, runs their
// webhooks, and publishes CVar-update Results. See the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Environ())
	stop()
	os.Exit(code)
}
