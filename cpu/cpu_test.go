package cpu

import (
	"testing"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/device/devicetest"
)

func TestConformance(t *testing.T) {
	devicetest.Run(t, func(t *testing.T) device.Device { return New() })
}

func TestOpenViaRegistry(t *testing.T) {
	d, err := device.Open("cpu")
	if err != nil || d.Name() != "cpu" {
		t.Fatalf("Open(cpu) = %v, %v", d, err)
	}
	if _, err := device.Open("cpu:1"); err == nil {
		t.Fatal("Open(cpu:1) succeeded, want an error")
	}
	if _, err := device.Open("tpu"); err == nil {
		t.Fatal("Open(tpu) succeeded, want an error")
	}
}
