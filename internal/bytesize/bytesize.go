// Package bytesize writes sizes for people, in binary units.
package bytesize

import "fmt"

// Format renders n bytes as "512 B", "1.4 MiB" or "2.0 GiB": one decimal
// and the largest unit (up to PiB) the size fills at least once.
func Format(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
