package report

import (
	"strings"
	"testing"
)

// TestCheckNames: rows must be told apart by their sweep's name.
func TestCheckNames(t *testing.T) {
	if err := checkNames([]Sweep{{Name: "a", Dir: "x"}, {Name: "b", Dir: "y"}}); err != nil {
		t.Errorf("distinct names: %v", err)
	}
	if err := checkNames([]Sweep{{Name: "a", Dir: "x"}, {Name: "a", Dir: "y"}}); err == nil || !strings.Contains(err.Error(), `two sweeps are named "a" (x and y)`) {
		t.Errorf("one name twice: %v", err)
	}
	if err := checkNames([]Sweep{{Name: " ", Dir: "x"}}); err == nil || !strings.Contains(err.Error(), "empty name") {
		t.Errorf("an empty name: %v", err)
	}
}
