package pvfd

// SCALE, as much of it as pvfd's messages use (docs/PROTOCOL.md §4 and §7): little-endian
// integers, compact lengths, byte vectors, fixed arrays, bools and options.

import (
	"encoding/binary"
	"errors"
	"fmt"
)

type writer struct{ b []byte }

func (w *writer) u8(v uint8)   { w.b = append(w.b, v) }
func (w *writer) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *writer) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }
func (w *writer) raw(p []byte) { w.b = append(w.b, p...) }

func (w *writer) compact(n uint64) {
	switch {
	case n < 1<<6:
		w.u8(uint8(n << 2))
	case n < 1<<14:
		w.b = binary.LittleEndian.AppendUint16(w.b, uint16(n<<2|1))
	case n < 1<<30:
		w.u32(uint32(n<<2 | 2))
	default:
		var tmp [8]byte
		binary.LittleEndian.PutUint64(tmp[:], n)
		k := 8
		for k > 4 && tmp[k-1] == 0 {
			k--
		}
		w.u8(uint8((k-4)<<2 | 3))
		w.raw(tmp[:k])
	}
}

func (w *writer) bytes(p []byte) {
	w.compact(uint64(len(p)))
	w.raw(p)
}

type reader struct {
	b   []byte
	off int
	err error
}

var errShort = errors.New("unexpected end of input")

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b)-r.off < n {
		r.err = fmt.Errorf("%w: %d bytes needed at offset %d, %d left", errShort, n, r.off, len(r.b)-r.off)
		return nil
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *reader) u8() uint8 {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if p := r.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if p := r.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (r *reader) boolean() bool {
	v := r.u8()
	if v > 1 && r.err == nil {
		r.err = fmt.Errorf("invalid bool 0x%02x at offset %d", v, r.off-1)
	}
	return v == 1
}

func (r *reader) compact() uint64 {
	b0 := r.u8()
	switch b0 & 3 {
	case 0:
		return uint64(b0 >> 2)
	case 1:
		b1 := r.u8()
		return uint64(b0)>>2 | uint64(b1)<<6
	case 2:
		p := r.take(3)
		if p == nil {
			return 0
		}
		return (uint64(b0) | uint64(p[0])<<8 | uint64(p[1])<<16 | uint64(p[2])<<24) >> 2
	default:
		n := int(b0>>2) + 4
		if n > 8 {
			r.err = fmt.Errorf("compact length of %d bytes does not fit a u64", n)
			return 0
		}
		p := r.take(n)
		var v uint64
		for i := len(p) - 1; i >= 0; i-- {
			v = v<<8 | uint64(p[i])
		}
		return v
	}
}

func (r *reader) bytes() []byte {
	n := r.compact()
	if r.err == nil && n > uint64(len(r.b)-r.off) {
		r.err = fmt.Errorf("%w: a vector of %d bytes at offset %d, %d left", errShort, n, r.off, len(r.b)-r.off)
		return nil
	}
	return r.take(int(n))
}

func (r *reader) end() error {
	if r.err == nil && r.off != len(r.b) {
		r.err = fmt.Errorf("%d trailing bytes", len(r.b)-r.off)
	}
	return r.err
}
