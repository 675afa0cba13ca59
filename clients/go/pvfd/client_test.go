package pvfd

// The client against a running pvfd: PVFD_SOCKET names its socket and PVF_TESTDATA the test data
// (tests/t-go-client.sh starts one and sets both). The encoding tests need neither.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestCompactVectors(t *testing.T) {
	// parity-scale-codec's own examples
	cases := map[uint64]string{0: "00", 1: "04", 63: "fc", 64: "0101", 16383: "fdff", 16384: "02000100",
		1<<30 - 1: "feffffff", 1 << 30: "0300000040", 1<<64 - 1: "13ffffffffffffffff"}
	for n, want := range cases {
		var w writer
		w.compact(n)
		if got := fmt.Sprintf("%x", w.b); got != want {
			t.Errorf("compact(%d) = %s, want %s", n, got, want)
		}
		r := reader{b: w.b}
		if back := r.compact(); back != n || r.end() != nil {
			t.Errorf("compact(%d) read back as %d (%v)", n, back, r.err)
		}
	}
}

func TestRequestWorkedExample(t *testing.T) {
	// docs/PROTOCOL.md §7: Request{id: 7, Status}
	got := encodeRequest(7, 5, func(*writer) {})
	if want := []byte{7, 0, 0, 0, 0, 0, 0, 0, 5}; !bytes.Equal(got, want) {
		t.Fatalf("Status request: % x, want % x", got, want)
	}
}

func TestResponseDecodingIsStrict(t *testing.T) {
	ok := []byte{9, 0, 0, 0, 0, 0, 0, 0, 2} // Done for request 9
	if id, r, err := decodeResponse(ok); err != nil || id != 9 || r.kind != 2 {
		t.Fatalf("Done: id %d kind %d err %v", id, r.kind, err)
	}
	if _, _, err := decodeResponse(append(ok, 0)); err == nil {
		t.Error("a trailing byte was accepted")
	}
	if _, _, err := decodeResponse([]byte{9, 0, 0, 0, 0, 0, 0, 0, 42}); err == nil {
		t.Error("an unknown kind was accepted")
	}
}

func dial(t *testing.T) *Client {
	t.Helper()
	sock := os.Getenv("PVFD_SOCKET")
	if sock == "" {
		t.Skip("PVFD_SOCKET is not set (tests/t-go-client.sh runs these against a pvfd)")
	}
	c, err := Dial(sock, "go test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func data(t *testing.T, rel string) []byte {
	t.Helper()
	dir := os.Getenv("PVF_TESTDATA")
	if dir == "" {
		t.Skip("PVF_TESTDATA is not set")
	}
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exists(rel string) bool {
	_, err := os.Stat(filepath.Join(os.Getenv("PVF_TESTDATA"), rel))
	return err == nil
}

func TestAdderChain(t *testing.T) {
	c := dial(t)
	code := data(t, "pvf/kagome__pvf_hex_adder.wasm")
	n := 0
	for ; exists(fmt.Sprintf("inputs/adder/%03d.params.scale", n)); n++ {
		var q ExecuteRequest
		q.Code = code
		if err := q.SetValidationParams(data(t, fmt.Sprintf("inputs/adder/%03d.params.scale", n))); err != nil {
			t.Fatal(err)
		}
		res, err := c.Execute(q)
		if err != nil {
			t.Fatal(err)
		}
		want := data(t, fmt.Sprintf("inputs/adder/%03d.expected_result.scale", n))
		if res.Verdict != Valid || !bytes.Equal(res.Result, want) {
			t.Fatalf("block %d: %v %s: %s", n, res.Verdict, res.Reason, res.Message)
		}
	}
	if n < 2 {
		t.Fatalf("only %d adder blocks", n)
	}
}

func TestPrecheck(t *testing.T) {
	c := dial(t)
	res, err := c.Precheck(data(t, "pvf/kagome__pvf_hex_adder.wasm"), nil)
	if err != nil || res.Outcome != PrecheckValid {
		t.Fatalf("adder: %+v %v", res, err)
	}
	res, err = c.Precheck([]byte("\x00asm\x01\x00\x00\x00\x05\xff"), nil)
	if err != nil || res.Outcome != PrecheckInvalid || res.Message == "" {
		t.Fatalf("garbage: %+v %v", res, err)
	}
}

func TestManyGoroutinesOneConnection(t *testing.T) {
	c := dial(t)
	var q ExecuteRequest
	q.Code = data(t, "pvf/kagome__pvf_hex_adder.wasm")
	if err := q.SetValidationParams(data(t, "inputs/adder/000.params.scale")); err != nil {
		t.Fatal(err)
	}
	want := data(t, "inputs/adder/000.expected_result.scale")
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var pending []*Pending
			for i := 0; i < 25; i++ {
				p, err := c.SubmitExecute(q)
				if err != nil {
					errs <- err
					return
				}
				pending = append(pending, p)
			}
			for _, p := range pending {
				res, err := p.Wait()
				if err == nil && (res.Verdict != Valid || !bytes.Equal(res.Result, want)) {
					err = fmt.Errorf("%v %s: %s", res.Verdict, res.Reason, res.Message)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCancelAndTimeout(t *testing.T) {
	c := dial(t)
	halt, err := os.ReadFile("../../../tests/fixtures/halt.wasm")
	if err != nil {
		t.Fatal(err)
	}
	q := ExecuteRequest{Code: halt, Kind: Approval, TimeoutMs: 300}
	res, err := c.Execute(q)
	if err != nil || res.Verdict != Invalid || res.Reason != "HardTimeout" {
		t.Fatalf("halt: %+v %v", res, err)
	}
	q.TimeoutMs = 5000
	start := time.Now()
	p, err := c.SubmitExecute(q)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Cancel(p.ID); err != nil {
		t.Fatal(err)
	}
	res, err = p.Wait()
	if err != nil || res.Verdict != Internal || res.Reason != "Cancelled" || time.Since(start) > 2*time.Second {
		t.Fatalf("cancelled: %+v %v after %v", res, err, time.Since(start))
	}
	if err := c.Cancel(12345); err == nil {
		t.Error("cancelling an unknown request succeeded")
	}
}

func TestStatusMetricsHeadsUpLeaves(t *testing.T) {
	c := dial(t)
	st, err := c.Status()
	if err != nil || st.Version == "" || st.Connections < 1 || !st.SecureMode {
		t.Fatalf("status: %+v %v", st, err)
	}
	text, err := c.Metrics()
	if err != nil || !bytes.Contains([]byte(text), []byte("polkadot_pvf_")) {
		t.Fatalf("metrics: %v %.200s", err, text)
	}
	code := data(t, "pvf/kagome__pvf_hex_adder.wasm")
	if err := c.HeadsUp([][]byte{code}, [][]byte{nil}); err != nil {
		t.Fatal(err)
	}
	leaf := [32]byte{1}
	if err := c.UpdateActiveLeaves(&leaf, [][32]byte{{2}}, nil); err != nil {
		t.Fatal(err)
	}
}
