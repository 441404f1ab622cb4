package jinja

// Limits bound what one template may cost. Every bound holds for every
// template: no template can read, change or switch off the budget of its
// render (the budget lives in the Renderer, which templates cannot reach).
type Limits struct {
	// MaxTemplateSize is the largest template source accepted, in bytes.
	MaxTemplateSize int
	// MaxDepth bounds the nesting of a template (brackets, unary
	// operators, statements and the links of a.b.c or x|f|g chains).
	MaxDepth int
	// MaxOutput is the largest output of one render, in bytes.
	MaxOutput int
	// MaxMemory bounds the bytes of the values one render builds
	// (strings, lists, dicts, big ints), counted before each is built.
	MaxMemory int64
	// MaxSteps bounds the work of one render: expression nodes, loop
	// turns, items and bytes handled by filters and methods.
	MaxSteps int64
	// MaxCallDepth bounds macro calls and recursive loops inside
	// one another.
	MaxCallDepth int
	// MaxCacheEntries bounds the compiled-template cache.
	MaxCacheEntries int
}

// DefaultLimits are used for the zero fields of Limits.
var DefaultLimits = Limits{
	MaxTemplateSize: 64 << 10,
	MaxDepth:        200,
	MaxOutput:       1 << 20,
	MaxMemory:       32 << 20,
	MaxSteps:        2_000_000,
	MaxCallDepth:    100,
	MaxCacheEntries: 10_000,
}

// withDefaults fills the zero fields of l.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxTemplateSize <= 0 {
		l.MaxTemplateSize = d.MaxTemplateSize
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxOutput <= 0 {
		l.MaxOutput = d.MaxOutput
	}
	if l.MaxMemory <= 0 {
		l.MaxMemory = d.MaxMemory
	}
	if l.MaxSteps <= 0 {
		l.MaxSteps = d.MaxSteps
	}
	if l.MaxCallDepth <= 0 {
		l.MaxCallDepth = d.MaxCallDepth
	}
	if l.MaxCacheEntries <= 0 {
		l.MaxCacheEntries = d.MaxCacheEntries
	}
	return l
}

// The configuration keys of the bounds, named in their errors.
const (
	KeyTemplateSize = "render.max_template_size"
	KeyDepth        = "render.max_depth"
	KeyOutput       = "render.max_output"
	KeyMemory       = "render.max_memory"
	KeySteps        = "render.max_steps"
	KeyCallDepth    = "render.max_call_depth"
)

// budget is one render's allowance; see Limits.
type budget struct {
	steps, maxSteps int64
	mem, maxMem     int64
	calls, maxCalls int
}

// step counts one unit of work.
func (r *Renderer) step() error {
	b := &r.budget
	b.steps++
	if b.steps > b.maxSteps {
		return r.stepsExceeded()
	}
	return nil
}

// work counts n units of work at once (items handled, or bytes / 64).
func (r *Renderer) work(n int) error {
	b := &r.budget
	b.steps += int64(n)
	if b.steps > b.maxSteps || n < 0 {
		return r.stepsExceeded()
	}
	return nil
}

// workBytes counts the work of handling n bytes.
func (r *Renderer) workBytes(n int) error { return r.work(n/64 + 1) }

func (r *Renderer) stepsExceeded() error {
	return &BoundError{What: "template evaluation", Limit: r.budget.maxSteps, Unit: "steps", Key: KeySteps}
}

// alloc counts n bytes of values about to be built; it fails, before
// anything is allocated, when the render's memory budget would be
// exceeded.
func (r *Renderer) alloc(n int64) error {
	b := &r.budget
	if n < 0 || n > b.maxMem-b.mem {
		b.mem = b.maxMem
		return r.memoryExceeded()
	}
	b.mem += n
	return nil
}

// allocN counts n items of size bytes each, guarding the multiplication.
func (r *Renderer) allocN(n, size int64) error {
	if n < 0 || size < 0 || (size > 0 && n > r.budget.maxMem/size) {
		return r.memoryExceeded()
	}
	return r.alloc(n * size)
}

func (r *Renderer) memoryExceeded() error {
	return &BoundError{What: "values built by the template", Limit: r.budget.maxMem, Unit: "bytes", Key: KeyMemory}
}

// valueSize is what one Value in a list or dict costs the memory budget.
const valueSize = 48

// enterCall counts one level of macro call or recursive loop.
func (r *Renderer) enterCall() error {
	b := &r.budget
	b.calls++
	if b.calls > b.maxCalls {
		b.calls--
		return &BoundError{What: "macro and recursive loop nesting", Limit: int64(b.maxCalls), Unit: "levels", Key: KeyCallDepth}
	}
	return nil
}

func (r *Renderer) leaveCall() { r.budget.calls-- }
