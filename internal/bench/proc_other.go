//go:build !linux

package bench

import (
	"os"
	"syscall"
	"time"
)

// Elsewhere than Linux the worker's CPU time and memory are not read:
// those figures stay 0.

func sysProcAttr() *syscall.SysProcAttr { return nil }

func terminate(p *os.Process) error { return p.Signal(os.Interrupt) }

func procCPU(int) (time.Duration, bool) { return 0, false }

func procPeakRSS(int) (int64, bool) { return 0, false }

func exitedMaxRSS(*os.ProcessState) (int64, bool) { return 0, false }

func loadAvg() float64 { return 0 }

func selfCPU() time.Duration { return 0 }

func machineBusy() (time.Duration, bool) { return 0, false }
