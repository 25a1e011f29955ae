package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/gputrain/gputrain/bench"
)

// refServer is a running reference implementation (bench/reference/*.py):
// it answers one JSON request per line with one JSON line.
type refServer struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	ready readyLine
	log   *os.File
}

// readyLine is the first line a reference server prints.
type readyLine struct {
	Ready    bool     `json:"ready"`
	Error    string   `json:"error"`
	Impl     string   `json:"impl"`
	Version  string   `json:"version"`
	Device   string   `json:"device"`
	Describe string   `json:"describe"`
	Variants []string `json:"variants"`
}

// parseReady decodes a server's first line.
func parseReady(line string) (readyLine, error) {
	var r readyLine
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		return r, fmt.Errorf("not a ready line: %q", truncate(line, 200))
	}
	if !r.Ready && r.Error == "" {
		r.Error = "not ready (no reason given)"
	}
	return r, nil
}

// refEnv is the environment of the reference processes: ours, less the
// OpenBLAS overrides that pin OpenBLAS to an older kernel, plus extra (and
// no .pyc files left in the source tree).
func refEnv(base []string, extra ...string) []string {
	extra = append([]string{"PYTHONDONTWRITEBYTECODE=1"}, extra...)
	var env []string
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if name == "OPENBLAS_CORETYPE" || name == "OPENBLAS_L2_SIZE" {
			continue
		}
		overridden := false
		for _, e := range extra {
			if en, _, _ := strings.Cut(e, "="); en == name {
				overridden = true
			}
		}
		if !overridden {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startServer runs python script args..., waits up to wait for its ready
// line and returns the server. A server that is not ready is returned with
// ready.Ready false (and already stopped), not as an error: a missing
// library is a note in the table. stderr goes to logPath.
func startServer(name, python, script string, args, env []string, logPath string, wait time.Duration) (*refServer, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(python, append([]string{script}, args...)...)
	cmd.Env = env
	cmd.Stderr = log
	stdin, err := cmd.StdinPipe()
	if err != nil {
		log.Close()
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		log.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	s := &refServer{name: name, cmd: cmd, stdin: stdin, lines: make(chan string, 16), log: log}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	line, err := s.next(wait)
	if err != nil {
		s.stop(0)
		s.ready = readyLine{Error: fmt.Sprintf("did not start: %v (see %s)", err, logPath)}
		return s, nil
	}
	if s.ready, err = parseReady(line); err != nil || !s.ready.Ready {
		if err != nil {
			s.ready.Error = err.Error()
		}
		s.stop(stopGrace)
	}
	return s, nil
}

// next returns the server's next output line, waiting at most wait.
func (s *refServer) next(wait time.Duration) (string, error) {
	select {
	case line, ok := <-s.lines:
		if !ok {
			return "", errors.New("the process exited")
		}
		return line, nil
	case <-time.After(wait):
		return "", fmt.Errorf("no answer within %s", wait)
	}
}

// request is one request to a reference server.
type request struct {
	Kind    string  `json:"kind"`
	Case    string  `json:"case,omitempty"`
	Steps   int     `json:"steps,omitempty"`
	Block   int     `json:"block,omitempty"`
	Variant string  `json:"variant,omitempty"`
	Blocks  int     `json:"blocks,omitempty"`
	Target  float64 `json:"target,omitempty"`
	Bytes   int64   `json:"bytes,omitempty"`
}

// do sends a request and decodes the answer into out (a *bench.Result or
// any struct); an {"error": …} answer becomes an error.
func (s *refServer) do(req request, wait time.Duration, out any) error {
	if !s.ready.Ready {
		return errors.New(s.ready.Error)
	}
	b, _ := json.Marshal(req)
	if _, err := fmt.Fprintf(s.stdin, "%s\n", b); err != nil {
		s.ready = readyLine{Error: "the process exited"}
		return fmt.Errorf("%s: %v", s.name, err)
	}
	line, err := s.next(wait)
	if err != nil {
		s.stop(0) // busy with the request: closing its input would not end it
		s.ready = readyLine{Error: err.Error()}
		return fmt.Errorf("%s: %v", s.name, err)
	}
	return decodeAnswer(line, out)
}

// decodeAnswer parses a reference server's answer line.
func decodeAnswer(line string, out any) error {
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		return fmt.Errorf("unreadable answer %q", truncate(line, 200))
	}
	if e.Error != "" {
		return errors.New(e.Error)
	}
	return json.Unmarshal([]byte(line), out)
}

// stopGrace is how long a server that is not busy may take to exit.
const stopGrace = 10 * time.Second

// stop ends the server: closing its input ends its request loop; after
// grace (at once for 0) the process is killed.
func (s *refServer) stop(grace time.Duration) {
	if s.stdin != nil {
		s.stdin.Close()
		s.stdin = nil
	}
	if s.cmd != nil && s.cmd.Process != nil {
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		if grace <= 0 {
			s.cmd.Process.Kill()
		}
		select {
		case <-done:
		case <-time.After(grace):
			s.cmd.Process.Kill()
			<-done
		}
		s.cmd = nil
	}
	if s.log != nil {
		s.log.Close()
		s.log = nil
	}
}

// parseResults reads the JSON result lines of `gputrain bench --json`,
// ignoring any other line.
func parseResults(out string) ([]bench.Result, error) {
	var rs []bench.Result
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r bench.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("unreadable result line %q: %v", truncate(line, 200), err)
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("no result line in %q", truncate(out, 300))
	}
	return rs, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
