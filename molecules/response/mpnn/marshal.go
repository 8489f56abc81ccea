package mpnn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/rxlab/rxlab/store/errs"
)

// magic starts every serialised model; the last byte is the format version.
var magic = []byte("RXMPNN\x00\x01")

// header is the JSON part of the binary format.
type header struct {
	FeatureVersion int       `json:"featureVersion"`
	AtomDim        int       `json:"atomDim"`
	BondDim        int       `json:"bondDim"`
	Config         Config    `json:"config"`
	YMean          []float64 `json:"yMean"`
	YSD            []float64 `json:"ySD"`
	Sizes          []int     `json:"sizes"`
}

// MarshalBinary encodes the model: magic, a little-endian uint32 header
// length, a JSON header (configuration, featurisation version, target
// scaling, tensor sizes) and the float32 weights, little-endian.
func (m *Model) MarshalBinary() ([]byte, error) {
	h := header{FeatureVersion: FeatureVersion, AtomDim: AtomDim, BondDim: BondDim, Config: m.cfg, YMean: m.yMean, YSD: m.ySD}
	for _, p := range m.params {
		h.Sizes = append(h.Sizes, len(p))
	}
	js, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("mpnn: encoding header: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(len(magic) + 4 + len(js) + 4*m.NumParams())
	buf.Write(magic)
	_ = binary.Write(&buf, binary.LittleEndian, uint32(len(js)))
	buf.Write(js)
	var b4 [4]byte
	for _, p := range m.params {
		for _, v := range p {
			binary.LittleEndian.PutUint32(b4[:], math.Float32bits(v))
			buf.Write(b4[:])
		}
	}
	return buf.Bytes(), nil
}

// Load decodes a model written by MarshalBinary. It refuses a model whose
// featurisation or shapes differ from this package's.
func Load(data []byte) (*Model, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("mpnn: Load: "+format+": %w", append(a, errs.Invalid)...)
	}
	if len(data) < len(magic)+4 || !bytes.Equal(data[:len(magic)], magic) {
		return nil, bad("not an mpnn model (bad magic at byte 0)")
	}
	off := len(magic)
	hl := int(binary.LittleEndian.Uint32(data[off:]))
	off += 4
	if hl > len(data)-off {
		return nil, bad("header length %d exceeds the %d bytes left at byte %d", hl, len(data)-off, off)
	}
	var h header
	if err := json.Unmarshal(data[off:off+hl], &h); err != nil {
		return nil, bad("header at byte %d: %v", off, err)
	}
	off += hl
	if h.FeatureVersion != FeatureVersion || h.AtomDim != AtomDim || h.BondDim != BondDim {
		return nil, bad("featurisation v%d (%d atom, %d bond features), this build has v%d (%d, %d)",
			h.FeatureVersion, h.AtomDim, h.BondDim, FeatureVersion, AtomDim, BondDim)
	}
	cfg := h.Config.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(h.YMean) != cfg.Tasks || len(h.YSD) != cfg.Tasks {
		return nil, bad("target scaling has %d/%d values for %d tasks", len(h.YMean), len(h.YSD), cfg.Tasks)
	}
	for t, sd := range h.YSD {
		if !(sd > 0) || math.IsInf(sd, 0) || math.IsNaN(h.YMean[t]) || math.IsInf(h.YMean[t], 0) {
			return nil, bad("target scaling of task %d is mean %v sd %v", t, h.YMean[t], sd)
		}
	}
	shapes := paramShapes(cfg)
	if len(h.Sizes) != len(shapes) {
		return nil, bad("%d weight tensors, the configuration needs %d", len(h.Sizes), len(shapes))
	}
	total := 0
	for i, s := range shapes {
		if h.Sizes[i] != s.rows*s.cols {
			return nil, bad("weight tensor %s has %d values, the configuration needs %d", s.name, h.Sizes[i], s.rows*s.cols)
		}
		total += h.Sizes[i]
	}
	// check the length before allocating anything the header asks for
	if len(data)-off != 4*total {
		return nil, bad("%d weight bytes after byte %d, want %d", len(data)-off, off, 4*total)
	}
	m := newModel(cfg)
	for i, p := range m.params {
		for j := range p {
			v := math.Float32frombits(binary.LittleEndian.Uint32(data[off:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, bad("non-finite weight in %s at byte %d", m.names[i], off)
			}
			p[j] = v
			off += 4
		}
	}
	copy(m.yMean, h.YMean)
	copy(m.ySD, h.YSD)
	return m, nil
}
