// Package pvfd is a Go client for pvfd, the PVF host as a service (docs/PROTOCOL.md §7): pure
// Go, no cgo, so a node keeps its static and cross builds. One Client is one connection; any
// number of goroutines may use it at once, with any number of requests in flight.
//
//	c, err := pvfd.Dial("/run/pvfd/pvfd.sock", "my-node")
//	req := pvfd.ExecuteRequest{Code: code, Kind: pvfd.Approval}
//	err = req.SetValidationParams(params)
//	res, err := c.Execute(req)            // res.Verdict == pvfd.Valid, res.Result …
package pvfd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

const (
	protocolVersion = 1
	maxResponse     = 256<<20 + 64<<10 // PVFD_MAX_RESPONSE
)

// Kind is what an execution is for: approval and dispute retry errors that may be transient.
type Kind uint8

const (
	Backing           Kind = 0
	BackingSystemPara Kind = 1
	Approval          Kind = 2
	Dispute           Kind = 3
)

// Verdict is the host's verdict (pvf_verdict).
type Verdict uint8

const (
	Valid Verdict = iota
	Invalid
	PossiblyInvalid
	Preparation
	Internal
	ExecutionDeadline
)

var verdictNames = [...]string{"Valid", "Invalid", "PossiblyInvalid", "Preparation", "Internal", "ExecutionDeadline"}

func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// PrecheckOutcome is a precheck's answer: Valid, Invalid (the code is bad) or Failed (no vote).
type PrecheckOutcome uint8

const (
	PrecheckValid PrecheckOutcome = iota
	PrecheckInvalid
	PrecheckFailed
)

// ExecuteRequest is pvf_execute_request: a candidate to validate.
type ExecuteRequest struct {
	Code                   []byte // wasm or a compressed code blob
	ExecutorParams         []byte // SCALE ExecutorParams; nil: none
	ParentHead             []byte
	RelayParentNumber      uint32
	RelayParentStorageRoot [32]byte
	MaxPoVSize             uint32 // 0: 10 MiB
	PoV                    []byte // the block data as it came, possibly compressed
	Kind                   Kind
	TimeoutMs              uint64 // 0: the executor params'
	RelayParent            [32]byte
}

// SetValidationParams fills the request from SCALE ValidationParams {parent_head, block_data,
// relay_parent_number, relay_parent_storage_root}; the request then points into params.
func (q *ExecuteRequest) SetValidationParams(params []byte) error {
	r := reader{b: params}
	head, pov := r.bytes(), r.bytes()
	number := r.u32()
	root := r.take(32)
	if err := r.end(); err != nil {
		return fmt.Errorf("ValidationParams do not decode: %w", err)
	}
	q.ParentHead, q.PoV, q.RelayParentNumber = head, pov, number
	copy(q.RelayParentStorageRoot[:], root)
	return nil
}

// ExecuteResult is pvf_execute_result.
type ExecuteResult struct {
	Verdict      Verdict
	Reason       string // "HardTimeout", "Cancelled", "Error"…; "" when valid
	Message      string
	Result       []byte // Valid: the SCALE ValidationResult
	PrepareCPUNs uint64
	ExecuteNs    uint64
	WallNs       uint64
	Attempts     uint32
	Preparations uint32
	RuntimeLog   string
}

// PrecheckResult is pvf_precheck_result.
type PrecheckResult struct {
	Outcome      PrecheckOutcome
	Reason       string
	Message      string
	PrepareCPUNs uint64
	WallNs       uint64
	Cached       bool
}

// Status is what pvfd says of itself.
type Status struct {
	Version        string
	Connections    uint32
	InFlight       uint32
	ExecuteWorkers uint32
	UptimeMs       uint64
	SecureMode     bool
}

// ErrClosed is returned once the connection is gone.
var ErrClosed = errors.New("pvfd: connection closed")

type response struct {
	kind    uint8
	outcome uint8
	reason  string
	message string
	result  []byte
	prepNs  uint64
	wallNs  uint64
	execNs  uint64
	cached  bool
	att     uint32
	preps   uint32
	log     string
	status  Status
}

// Client is a connection to pvfd.
type Client struct {
	conn    net.Conn
	wmu     sync.Mutex
	mu      sync.Mutex
	nextID  uint64
	waiting map[uint64]chan response
	err     error
}

// Dial connects to pvfd at the socket path and greets it; name appears in pvfd's log.
func Dial(path, name string) (*Client, error) {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return nil, fmt.Errorf("pvfd: cannot connect to %s: %w", path, err)
	}
	var w writer
	w.raw([]byte("pvfd"))
	w.u32(protocolVersion)
	w.bytes([]byte(name))
	sendErr := writeFrame(conn, w.b)
	// a pvfd that refuses this peer answers before reading the hello: read it even so
	frame, err := readFrame(conn, 1<<20)
	if err != nil {
		conn.Close()
		if sendErr != nil {
			return nil, fmt.Errorf("pvfd: %w", sendErr)
		}
		return nil, fmt.Errorf("pvfd: no welcome: %w", err)
	}
	r := reader{b: frame}
	if r.u8() == 1 {
		reason := r.bytes()
		conn.Close()
		return nil, fmt.Errorf("pvfd refused: %s", reason)
	}
	version := r.u32()
	r.bytes()
	r.bytes()
	if err := r.end(); err != nil || version != protocolVersion {
		conn.Close()
		return nil, fmt.Errorf("pvfd: a welcome of protocol %d (%v); this client speaks %d", version, err, protocolVersion)
	}
	c := &Client{conn: conn, waiting: map[uint64]chan response{}}
	go c.readLoop()
	return c, nil
}

// Close ends the connection; requests in flight are answered ErrClosed.
func (c *Client) Close() error { return c.conn.Close() }

func writeFrame(w io.Writer, payload []byte) error {
	frame := make([]byte, 8, 8+len(payload))
	binary.LittleEndian.PutUint64(frame, uint64(len(payload)))
	_, err := w.Write(append(frame, payload...))
	return err
}

func readFrame(r io.Reader, max uint64) ([]byte, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(hdr[:])
	if n > max {
		return nil, fmt.Errorf("frame too large: %d bytes, limit %d", n, max)
	}
	p := make([]byte, n)
	_, err := io.ReadFull(r, p)
	return p, err
}

func (c *Client) readLoop() {
	for {
		frame, err := readFrame(c.conn, maxResponse)
		if err == nil {
			var id uint64
			var resp response
			id, resp, err = decodeResponse(frame)
			if err == nil {
				c.mu.Lock()
				ch := c.waiting[id]
				delete(c.waiting, id)
				c.mu.Unlock()
				if ch != nil {
					ch <- resp
				}
				continue
			}
		}
		c.mu.Lock()
		c.err = fmt.Errorf("%w: %v", ErrClosed, err)
		for id, ch := range c.waiting {
			close(ch)
			delete(c.waiting, id)
		}
		c.mu.Unlock()
		c.conn.Close()
		return
	}
}

func decodeResponse(frame []byte) (uint64, response, error) {
	r := reader{b: frame}
	id := r.u64()
	var s response
	s.kind = r.u8()
	switch s.kind {
	case 0, 1:
		s.outcome = r.u8()
		s.reason, s.message = string(r.bytes()), string(r.bytes())
		s.prepNs, s.wallNs = r.u64(), r.u64()
		if s.kind == 0 {
			s.cached = r.boolean()
		} else {
			s.result = r.bytes()
			s.execNs, s.att, s.preps = r.u64(), r.u32(), r.u32()
			s.log = string(r.bytes())
		}
	case 2:
	case 3, 5, 6:
		s.message = string(r.bytes())
	case 4:
		s.status.Version = string(r.bytes())
		s.status.Connections, s.status.InFlight, s.status.ExecuteWorkers = r.u32(), r.u32(), r.u32()
		s.status.UptimeMs, s.status.SecureMode = r.u64(), r.boolean()
	default:
		return 0, s, fmt.Errorf("unknown response kind %d", s.kind)
	}
	return id, s, r.end()
}

// encodeRequest is a Request's bytes: id, kind, then the body.
func encodeRequest(id uint64, kind uint8, body func(*writer)) []byte {
	var w writer
	w.u64(id)
	w.u8(kind)
	body(&w)
	return w.b
}

// send writes a request (kind and body) and returns its id and the channel its answer comes on.
func (c *Client) send(kind uint8, body func(*writer)) (uint64, chan response, error) {
	ch := make(chan response, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, nil, err
	}
	c.nextID++
	id := c.nextID
	c.waiting[id] = ch
	c.mu.Unlock()
	c.wmu.Lock()
	err := writeFrame(c.conn, encodeRequest(id, kind, body))
	c.wmu.Unlock()
	if err != nil {
		c.mu.Lock()
		delete(c.waiting, id)
		c.mu.Unlock()
		return 0, nil, fmt.Errorf("%w: %v", ErrClosed, err)
	}
	return id, ch, nil
}

func (c *Client) wait(ch chan response) (response, error) {
	resp, ok := <-ch
	if !ok {
		c.mu.Lock()
		defer c.mu.Unlock()
		return resp, c.err
	}
	if resp.kind == 6 {
		return resp, fmt.Errorf("pvfd: %s", resp.message)
	}
	return resp, nil
}

// Pending is an execution in flight: its id (for Cancel) and its answer, once.
type Pending struct {
	ID uint64
	ch chan response
	c  *Client
}

// SubmitExecute sends an execution and returns at once.
func (c *Client) SubmitExecute(q ExecuteRequest) (*Pending, error) {
	id, ch, err := c.send(1, func(w *writer) {
		w.bytes(q.Code)
		w.bytes(q.ExecutorParams)
		w.bytes(q.ParentHead)
		w.u32(q.RelayParentNumber)
		w.raw(q.RelayParentStorageRoot[:])
		w.u32(q.MaxPoVSize)
		w.bytes(q.PoV)
		w.u8(uint8(q.Kind))
		w.u64(q.TimeoutMs)
		w.raw(q.RelayParent[:])
	})
	if err != nil {
		return nil, err
	}
	return &Pending{ID: id, ch: ch, c: c}, nil
}

// Wait returns the execution's result. A request pvfd did not take or cancelled is an Internal
// result with reason "Error" or "Cancelled", as the C client gives it.
func (p *Pending) Wait() (*ExecuteResult, error) {
	resp, err := p.c.wait(p.ch)
	switch {
	case err != nil && resp.kind == 6:
		return &ExecuteResult{Verdict: Internal, Reason: "Error", Message: resp.message}, nil
	case err != nil:
		return nil, err
	case resp.kind == 3:
		return &ExecuteResult{Verdict: Internal, Reason: "Cancelled", Message: resp.message}, nil
	case resp.kind != 1:
		return nil, fmt.Errorf("pvfd answered an execution with kind %d", resp.kind)
	}
	return &ExecuteResult{Verdict: Verdict(resp.outcome), Reason: resp.reason, Message: resp.message,
		Result: resp.result, PrepareCPUNs: resp.prepNs, ExecuteNs: resp.execNs, WallNs: resp.wallNs,
		Attempts: resp.att, Preparations: resp.preps, RuntimeLog: resp.log}, nil
}

// Execute validates a candidate and waits for the verdict.
func (c *Client) Execute(q ExecuteRequest) (*ExecuteResult, error) {
	p, err := c.SubmitExecute(q)
	if err != nil {
		return nil, err
	}
	return p.Wait()
}

// Precheck prechecks code under the executor params (nil: none).
func (c *Client) Precheck(code, executorParams []byte) (*PrecheckResult, error) {
	_, ch, err := c.send(0, func(w *writer) {
		w.bytes(code)
		w.bytes(executorParams)
	})
	if err != nil {
		return nil, err
	}
	resp, err := c.wait(ch)
	if err != nil && resp.kind == 6 {
		return &PrecheckResult{Outcome: PrecheckFailed, Reason: "Error", Message: resp.message}, nil
	}
	if err != nil {
		return nil, err
	}
	if resp.kind == 3 {
		return &PrecheckResult{Outcome: PrecheckFailed, Reason: "Cancelled", Message: resp.message}, nil
	}
	return &PrecheckResult{Outcome: PrecheckOutcome(resp.outcome), Reason: resp.reason, Message: resp.message,
		PrepareCPUNs: resp.prepNs, WallNs: resp.wallNs, Cached: resp.cached}, nil
}

// Cancel cancels a request of this client in flight: its Wait returns reason "Cancelled".
func (c *Client) Cancel(id uint64) error {
	_, ch, err := c.send(4, func(w *writer) { w.u64(id) })
	if err == nil {
		_, err = c.wait(ch)
	}
	return err
}

// HeadsUp asks pvfd to prepare these codes (with their executor params) ahead of their use.
func (c *Client) HeadsUp(codes, executorParams [][]byte) error {
	if len(codes) != len(executorParams) {
		return errors.New("pvfd: one executor params entry (possibly nil) per code")
	}
	_, ch, err := c.send(2, func(w *writer) {
		w.compact(uint64(len(codes)))
		for i := range codes {
			w.bytes(codes[i])
			w.bytes(executorParams[i])
		}
	})
	if err == nil {
		_, err = c.wait(ch)
	}
	return err
}

// UpdateActiveLeaves tells pvfd the relay chain moved (activated may be nil).
func (c *Client) UpdateActiveLeaves(activated *[32]byte, ancestors, deactivated [][32]byte) error {
	_, ch, err := c.send(3, func(w *writer) {
		if activated == nil {
			w.u8(0)
		} else {
			w.u8(1)
			w.raw(activated[:])
		}
		for _, list := range [][][32]byte{ancestors, deactivated} {
			w.compact(uint64(len(list)))
			for _, h := range list {
				w.raw(h[:])
			}
		}
	})
	if err == nil {
		_, err = c.wait(ch)
	}
	return err
}

// Status asks pvfd how it is.
func (c *Client) Status() (*Status, error) {
	_, ch, err := c.send(5, func(*writer) {})
	if err != nil {
		return nil, err
	}
	resp, err := c.wait(ch)
	if err != nil {
		return nil, err
	}
	return &resp.status, nil
}

// Metrics returns the host's metrics in the Prometheus text format.
func (c *Client) Metrics() (string, error) {
	_, ch, err := c.send(6, func(*writer) {})
	if err != nil {
		return "", err
	}
	resp, err := c.wait(ch)
	return resp.message, err
}
