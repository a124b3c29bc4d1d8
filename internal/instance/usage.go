package instance

import "time"

// Usage is what a running instance's server has used: CPU time since it
// started and the memory it holds now. The systemd supervisor reads the
// unit's CPUUsageNSec and MemoryCurrent; the process supervisor its
// children's /proc entries. A negative field is unknown (accounting off).
type Usage struct {
	CPU    time.Duration
	Memory int64 // bytes
}

// UnknownUsage is the usage of an instance that has none to report (stopped).
var UnknownUsage = Usage{CPU: -1, Memory: -1}
