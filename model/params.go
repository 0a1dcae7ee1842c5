package model

import "fmt"

// Group says how the optimiser treats a parameter.
type Group int

const (
	// GroupWeight holds matrices: decayed, and prunable when marked so.
	GroupWeight Group = iota
	// GroupBias holds biases: not decayed.
	GroupBias
	// GroupThreshold holds the EGRU thresholds ϑ: own learning rate, no decay, kept in [0, 1].
	GroupThreshold
)

// String returns the group's name as used in configs and logs.
func (g Group) String() string {
	switch g {
	case GroupWeight:
		return "weight"
	case GroupBias:
		return "bias"
	case GroupThreshold:
		return "threshold"
	}
	return fmt.Sprintf("Group(%d)", int(g))
}

// View names a contiguous range of the parameter slab holding one tensor.
type View struct {
	Name     string // e.g. "layers.0.W"; also the tensor name in checkpoints
	Offset   int    // first element in the slab
	Shape    []int  // row-major shape; the product is the length
	Group    Group
	Prunable bool // input and recurrent matrices (and optionally the embedding)
}

// Len returns the number of elements of the view.
func (v View) Len() int {
	n := 1
	for _, d := range v.Shape {
		n *= d
	}
	return n
}

// Params is the parameter slab of a model: values, gradients and (once
// pruning starts) masks in parallel slabs, with named views.
type Params[F Float] struct {
	Data  []F
	Grad  []F
	Mask  []F // nil while every weight is kept; otherwise 1 (kept) or 0 (pruned) per element
	Views []View
}

// add reserves a view; the slab is allocated by alloc once all views are known.
func (p *Params[F]) add(name string, group Group, prunable bool, shape ...int) int {
	off := len(p.Data)
	v := View{Name: name, Offset: off, Shape: shape, Group: group, Prunable: prunable}
	p.Views = append(p.Views, v)
	p.Data = append(p.Data, make([]F, v.Len())...)
	return len(p.Views) - 1
}

func (p *Params[F]) alloc() {
	p.Grad = make([]F, len(p.Data))
}

// Value returns the values of view i (aliasing the slab).
func (p *Params[F]) Value(i int) []F {
	v := p.Views[i]
	return p.Data[v.Offset : v.Offset+v.Len() : v.Offset+v.Len()]
}

// Gradient returns the gradient of view i (aliasing the gradient slab).
func (p *Params[F]) Gradient(i int) []F {
	v := p.Views[i]
	return p.Grad[v.Offset : v.Offset+v.Len() : v.Offset+v.Len()]
}

// Lookup returns the index of the view called name.
func (p *Params[F]) Lookup(name string) (int, bool) {
	for i, v := range p.Views {
		if v.Name == name {
			return i, true
		}
	}
	return 0, false
}

// ZeroGrad clears the gradient slab.
func (p *Params[F]) ZeroGrad() { clear(p.Grad) }

// ApplyMask zeroes the pruned weights and their gradients. It does nothing without masks.
func (p *Params[F]) ApplyMask() {
	if p.Mask == nil {
		return
	}
	for i, m := range p.Mask {
		if m == 0 {
			p.Data[i] = 0
			p.Grad[i] = 0
		}
	}
}
