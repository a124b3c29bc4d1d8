package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const e2eMetricsToken = "e2e-metrics-token-0123456789"

// metricValue finds the sample of name{instance="inst"} in a text
// exposition; false when absent.
func metricValue(body, name, inst string) (float64, bool) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\{instance="` + regexp.QuoteMeta(inst) + `"\} (\S+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

// metricsChecks: with LEFT4ME_METRICS_TOKEN set, the sandboxed panel
// serves /metrics to the token only, with the running server's CPU time
// and memory read from the real unit (CPUUsageNSec, MemoryCurrent over
// D-Bus; memory only where the guest accounts it); the history records
// the running server with its CPU within two sampling periods.
func (h *harness) metricsChecks(t *testing.T) {
	h.check(t, "metrics/token-cpu-memory-history", func(t *testing.T) {
		restore := h.setWebEnv(t, map[string]string{"LEFT4ME_METRICS_TOKEN": e2eMetricsToken})
		defer restore()
		p := h.login(t)
		base := "/api/v1/instances/" + alpha
		p.api(t, "POST", base+"/start")
		h.mustState(t, alpha, "active")
		defer func() {
			p.api(t, "POST", base+"/stop")
			h.mustState(t, alpha, "inactive")
		}()
		anon := &panel{h: h, client: h.newPanelClient(), cookies: map[string]string{}}
		if code, body := anon.do(t, "GET", "/metrics", nil, nil); code != http.StatusUnauthorized || strings.Contains(body, "left4me_instance") {
			t.Errorf("/metrics without the token: %d", code)
		}
		// Some guests do not delegate the memory controller: systemd itself
		// then says MemoryCurrent=[not set], and the panel may have no
		// memory to show either.
		sdMem, _ := h.c.exec(h.ctx, nil, "systemctl", "show", "-p", "MemoryCurrent", "--value", unitName(alpha))
		_, perr := strconv.ParseInt(strings.TrimSpace(sdMem), 10, 64)
		memAccounted := perr == nil
		if !memAccounted {
			h.measure("metrics: memory", "not accounted in this guest (MemoryCurrent "+strings.TrimSpace(sdMem)+")")
		}
		var body string
		var cpu, mem float64
		if err := within(h.ctx, 60*time.Second, "the running server's CPU and memory in /metrics", func() (bool, error) {
			code, b := anon.do(t, "GET", "/metrics", nil, http.Header{"Authorization": {"Bearer " + e2eMetricsToken}})
			if code != http.StatusOK {
				return false, fmt.Errorf("/metrics: %d", code)
			}
			body = b
			var ok1, ok2 bool
			cpu, ok1 = metricValue(b, "left4me_instance_cpu_seconds_total", alpha)
			mem, ok2 = metricValue(b, "left4me_instance_memory_bytes", alpha)
			return ok1 && cpu > 0 && (!memAccounted || ok2 && mem > 0), nil
		}); err != nil {
			web, _ := h.c.exec(h.ctx, nil, "journalctl", "--no-pager", "-n", "20", "-u", "left4me-web.service")
			show, _ := h.c.exec(h.ctx, nil, "systemctl", "show", "-p", "CPUUsageNSec", "-p", "MemoryCurrent", "-p", "CPUAccounting",
				"-p", "MemoryAccounting", "-p", "ControlGroup", unitName(alpha))
			bus, berr := h.c.exec(h.ctx, nil, "runuser", "-u", "left4me", "--", "busctl", "--system", "get-property", "org.freedesktop.systemd1",
				"/org/freedesktop/systemd1/unit/left4me_2dserver_40"+alpha+"_2eservice", "org.freedesktop.systemd1.Service", "CPUUsageNSec", "MemoryCurrent")
			var series []string
			for _, l := range strings.Split(body, "\n") {
				if strings.HasPrefix(l, "left4me_instance") {
					series = append(series, l)
				}
			}
			t.Fatalf("%v\n%s\n--- systemctl show:\n%s\n--- busctl as left4me (%v):\n%s\n--- web:\n%s", err, strings.Join(series, "\n"), show, berr, bus, web)
		}
		h.measure("metrics: alpha CPU seconds, memory", fmt.Sprintf("%.2f s, %.0f MiB", cpu, mem/(1<<20)))
		if v, ok := metricValue(body, "left4me_instance_humans", alpha); !ok || v < 0 {
			t.Errorf("no humans series of %s", alpha)
		}
		if !strings.Contains(body, `left4me_instance_state{instance="`+alpha+`",state="running"} 1`) {
			t.Errorf("/metrics does not show %s running", alpha)
		}

		// The sampler (every 30 s) records the running server, with its CPU
		// (a rate: from the second sample on) and, where accounted, memory.
		from := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
		var hist struct {
			Points []struct {
				State       string  `json:"state"`
				CPUPercent  float64 `json:"cpu_percent"`
				MemoryBytes int64   `json:"memory_bytes"`
			} `json:"points"`
		}
		if err := within(h.ctx, 75*time.Second, "a history point with the server's CPU", func() (bool, error) {
			code, b := p.do(t, "GET", base+"/history?step=30s&from="+from, nil, nil)
			if code != http.StatusOK {
				return false, fmt.Errorf("history: %d %s", code, b)
			}
			if err := json.Unmarshal([]byte(b), &hist); err != nil {
				return false, err
			}
			for _, pt := range hist.Points {
				if pt.State == "running" && pt.CPUPercent >= 0 && (!memAccounted || pt.MemoryBytes > 0) {
					return true, nil
				}
			}
			return false, fmt.Errorf("points %+v", hist.Points)
		}); err != nil {
			t.Fatal(err)
		}
	})
}
