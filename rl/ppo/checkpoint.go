package ppo

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/rxlab/rxlab/rl/env"
	"github.com/rxlab/rxlab/rl/nn"
	"github.com/rxlab/rxlab/store/errs"
)

// checkpointMagic starts every Trainer checkpoint; the digit is the format
// version.
var checkpointMagic = []byte("RXPPOCK1")

// fingerprint is the part of a Config a checkpoint must agree with.
type fingerprint struct {
	Model           string          `json:"model"`
	Seed            uint64          `json:"seed"`
	Typical         bool            `json:"typical"`
	Shield          env.Shield      `json:"shield"`
	Reward          env.Reward      `json:"reward"`
	History         int             `json:"history"`
	Population      int             `json:"population"`
	Hyperparameters Hyperparameters `json:"hyperparameters"`
	// Posterior is the number of random effects of Config.Posterior (0:
	// none; omitted, so older checkpoints keep their fingerprint).
	Posterior int `json:"posterior,omitempty"`
}

func (c Config) fingerprint() ([]byte, error) {
	post := 0
	if c.Posterior != nil {
		post = len(c.Posterior.Omega())
	}
	return json.Marshal(fingerprint{c.Model, c.Seed, c.Typical, c.Shield, c.Reward, c.History, len(c.Population), c.Hyperparameters, post})
}

// MarshalBinary encodes the whole training state: the configuration's
// fingerprint, iteration and step counters, the random generator, both
// networks and both Adam states.
func (t *Trainer) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(checkpointMagic)
	fp, err := t.cfg.fingerprint()
	if err != nil {
		return nil, err
	}
	rng, err := t.pcg.MarshalBinary()
	if err != nil {
		return nil, err
	}
	pol, err := t.pol.MarshalBinary()
	if err != nil {
		return nil, err
	}
	val, err := t.val.MarshalBinary()
	if err != nil {
		return nil, err
	}
	w := func(v any) { _ = binary.Write(&buf, binary.LittleEndian, v) } // bytes.Buffer cannot fail
	blob := func(b []byte) { w(uint32(len(b))); buf.Write(b) }
	blob(fp)
	w(uint64(t.iter))
	w(uint64(t.envSteps))
	blob(rng)
	blob(pol)
	blob(val)
	for _, a := range []*adamState{&t.adamP, &t.adamV} {
		w(uint64(a.step))
		for i := range a.m {
			w(a.m[i])
			w(a.v[i])
		}
	}
	return buf.Bytes(), nil
}

// Restore builds a Trainer from cfg and a checkpoint made by MarshalBinary
// with the same configuration; training continues exactly where the
// checkpoint was taken.
func Restore(cfg Config, data []byte) (*Trainer, error) {
	t, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := t.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return t, nil
}

// UnmarshalBinary restores a checkpoint into a Trainer built with the same
// configuration. A checkpoint of another configuration, or a truncated or
// corrupt one, gives an error wrapping errs.Invalid and leaves the
// Trainer unchanged.
func (t *Trainer) UnmarshalBinary(data []byte) error {
	bad := func(what string) error {
		return fmt.Errorf("ppo: checkpoint: %s: %w", what, errs.Invalid)
	}
	if !bytes.HasPrefix(data, checkpointMagic) {
		return bad("not a PPO checkpoint (bad magic)")
	}
	r := bytes.NewReader(data[len(checkpointMagic):])
	rd := func(v any) error { return binary.Read(r, binary.LittleEndian, v) }
	blob := func() ([]byte, error) {
		var n uint32
		if err := rd(&n); err != nil {
			return nil, err
		}
		if int64(n) > int64(r.Len()) {
			return nil, fmt.Errorf("blob of %d bytes with %d left", n, r.Len())
		}
		b := make([]byte, n)
		_, err := r.Read(b)
		return b, err
	}
	fp, err := blob()
	if err != nil {
		return bad("truncated header")
	}
	want, err := t.cfg.fingerprint()
	if err != nil {
		return err
	}
	if !bytes.Equal(fp, want) {
		return bad("it was made with a different configuration")
	}
	var iter, steps uint64
	if rd(&iter) != nil || rd(&steps) != nil || iter > math.MaxInt32 {
		return bad("truncated counters")
	}
	rngB, err1 := blob()
	polB, err2 := blob()
	valB, err3 := blob()
	if err1 != nil || err2 != nil || err3 != nil {
		return bad("truncated state")
	}
	pol, err := nn.Load(polB)
	if err != nil {
		return bad("policy network: " + err.Error())
	}
	val, err := nn.Load(valB)
	if err != nil {
		return bad("value network: " + err.Error())
	}
	if pol.InputWidth() != t.dim || pol.OutputWidth() != t.nAct || countParams(pol) != countParams(t.pol) ||
		val.InputWidth() != t.dim || countParams(val) != countParams(t.val) {
		return bad("network shapes differ from the configuration")
	}
	adams := [2]adamState{newAdam(t.pol), newAdam(t.val)}
	for k := range adams {
		var st uint64
		if rd(&st) != nil || st > math.MaxInt32 {
			return bad("truncated optimizer state")
		}
		adams[k].step = int(st)
		for i := range adams[k].m {
			if rd(adams[k].m[i]) != nil || rd(adams[k].v[i]) != nil {
				return bad("truncated optimizer moments")
			}
		}
	}
	if r.Len() != 0 {
		return bad(fmt.Sprintf("%d trailing bytes", r.Len()))
	}
	pcgState := append([]byte(nil), rngB...)
	if err := t.pcg.UnmarshalBinary(pcgState); err != nil {
		return bad("random generator state")
	}
	if err := t.pol.CopyFrom(pol); err != nil {
		return err
	}
	if err := t.val.CopyFrom(val); err != nil {
		return err
	}
	t.adamP, t.adamV = adams[0], adams[1]
	t.iter, t.envSteps = int(iter), int64(steps)
	return nil
}
