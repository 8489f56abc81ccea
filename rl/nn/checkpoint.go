package nn

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/rxlab/rxlab/store/errs"
)

// checkpointMagic starts every serialized MLP; the digit is the format version.
var checkpointMagic = [8]byte{'R', 'X', 'N', 'N', 'M', 'L', 'P', '1'}

// MarshalBinary encodes the network for a checkpoint: layer sizes,
// activations, Adam hyper-parameters and step count, then every parameter
// tensor with its two Adam moments, all little-endian.
func (m *MLP) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(checkpointMagic[:])
	w := func(v any) { _ = binary.Write(&buf, binary.LittleEndian, v) } // bytes.Buffer writes cannot fail
	w(uint32(len(m.cfg.Sizes)))
	for _, s := range m.cfg.Sizes {
		w(uint32(s))
	}
	for _, a := range m.cfg.Activations {
		w(uint8(a))
	}
	w(m.cfg.Seed)
	w([4]float64{m.adam.LR, m.adam.Beta1, m.adam.Beta2, m.adam.Eps})
	w(uint64(m.step))
	for i := range m.params {
		w(m.params[i])
		w(m.m[i])
		w(m.v[i])
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary replaces the network (configuration, weights, Adam
// moments and step count) with a checkpoint made by MarshalBinary. On error
// the network is unchanged. When the checkpoint has the same layer sizes the
// values are copied into the existing tensors, so trainers and graphs built
// for m keep working; otherwise they must be rebuilt.
func (m *MLP) UnmarshalBinary(data []byte) error {
	c, err := Load(data)
	if err != nil {
		return err
	}
	if len(m.params) > 0 && sameSizes(m.cfg.Sizes, c.cfg.Sizes) {
		if err := m.CopyFrom(c); err != nil {
			return err
		}
		m.cfg, m.adam = c.cfg, c.adam
		return nil
	}
	*m = *c
	return nil
}

func sameSizes(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Load decodes a checkpoint made by MarshalBinary into a new MLP.
func Load(data []byte) (*MLP, error) {
	bad := func(what string, off int) error {
		return fmt.Errorf("nn: checkpoint: %s at byte %d: %w", what, off, errs.Invalid)
	}
	if len(data) < len(checkpointMagic) || !bytes.Equal(data[:len(checkpointMagic)], checkpointMagic[:]) {
		return nil, bad("missing RXNNMLP1 header", 0)
	}
	r := bytes.NewReader(data[len(checkpointMagic):])
	off := func() int { return len(data) - r.Len() }
	read := func(v any) error { return binary.Read(r, binary.LittleEndian, v) }
	var n uint32
	if err := read(&n); err != nil || n < 2 || n > 64 {
		return nil, bad("layer count", off())
	}
	var cfg Config
	for i := uint32(0); i < n; i++ {
		var s uint32
		if err := read(&s); err != nil || s < 1 || s > MaxWidth {
			return nil, bad(fmt.Sprintf("width of layer %d", i), off())
		}
		cfg.Sizes = append(cfg.Sizes, int(s))
	}
	for i := uint32(0); i+1 < n; i++ {
		var a uint8
		if err := read(&a); err != nil {
			return nil, bad("activation", off())
		}
		cfg.Activations = append(cfg.Activations, Activation(a))
	}
	if err := read(&cfg.Seed); err != nil {
		return nil, bad("seed", off())
	}
	var adam [4]float64
	if err := read(&adam); err != nil {
		return nil, bad("Adam settings", off())
	}
	cfg.Adam = AdamConfig{LR: adam[0], Beta1: adam[1], Beta2: adam[2], Eps: adam[3]}
	var step uint64
	if err := read(&step); err != nil || step > math.MaxInt32 {
		return nil, bad("step count", off())
	}
	need := 0
	for i := 0; i+1 < len(cfg.Sizes); i++ {
		need += 3 * 4 * (cfg.Sizes[i]*cfg.Sizes[i+1] + cfg.Sizes[i+1])
	}
	if r.Len() != need {
		return nil, bad(fmt.Sprintf("parameter block of %d bytes, want %d", r.Len(), need), off())
	}
	m, err := New(cfg)
	if err != nil {
		return nil, fmt.Errorf("nn: checkpoint: %w", err)
	}
	m.step = int(step)
	for i := range m.params {
		for _, dst := range [][]float32{m.params[i], m.m[i], m.v[i]} {
			if err := read(dst); err != nil {
				return nil, bad("parameters", off())
			}
		}
	}
	return m, nil
}
