//go:build race

package worker_test

// raceDetector: the race detector slows the process 5-10x, which makes a
// latency criterion meaningless; such tests run in the plain pass.
const raceDetector = true
