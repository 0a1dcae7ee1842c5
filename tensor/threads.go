package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

var (
	nthreads  atomic.Int32
	workersMu sync.Mutex
	nworkers  int
	workCh    = make(chan workItem, 64)
	// spinning is set when every thread has a processor of its own
	// (GOMAXPROCS ≥ threads), so that a waiting goroutine may poll.
	spinning atomic.Bool
)

// spinFor is how long a worker polls for its next part, and a caller for
// its parts to finish, before it parks. A parked goroutine on an idle core
// takes tens of microseconds to wake on a virtual machine (the idle vCPU
// has halted), and a training step hands out hundreds of parts a window,
// most of them products of one time step that last 50–300 µs; OpenMP
// runtimes (OMP_WAIT_POLICY, GOMP_SPINCOUNT) and OpenBLAS's threads poll
// for the same reason. Go's runtime has no such knob for a channel
// receive or a WaitGroup, so the poll is written here.
const spinFor = time.Millisecond

func init() { nthreads.Store(1) }

// SetThreads sets how many goroutines Gemm may use (n < 1 means 1). The
// default is 1. Results do not depend on the setting.
func SetThreads(n int) {
	if n < 1 {
		n = 1
	}
	nthreads.Store(int32(n))
	spinning.Store(n > 1 && runtime.GOMAXPROCS(0) >= n)
	workersMu.Lock()
	for ; nworkers < n-1; nworkers++ {
		go worker()
	}
	workersMu.Unlock()
}

// Threads returns the number of goroutines Gemm may use.
func Threads() int { return int(nthreads.Load()) }

// A task is work split into parts; part 0 runs on the calling goroutine,
// the others on the persistent workers, each followed by done.
type task interface {
	runPart(p int)
	done()
}

// parts counts the parts of a task still running on workers. The caller
// polls left for spinFor and then parks on wg; finish decrements left
// before wg, so wg.Done is a worker's last touch of the task and a caller
// that returns from wait may reuse it at once.
type parts struct {
	wg   sync.WaitGroup
	left atomic.Int32
}

func (p *parts) start(n int) {
	p.left.Store(int32(n))
	p.wg.Add(n)
}

func (p *parts) finish() {
	p.left.Add(-1)
	p.wg.Done()
}

func (p *parts) wait() {
	if spinning.Load() && p.left.Load() > 0 {
		start := time.Now()
		for p.left.Load() > 0 && time.Since(start) < spinFor {
			runtime.Gosched()
		}
	}
	p.wg.Wait()
}

type workItem struct {
	job  task
	part int
}

// gemmJob is a problem split into parts along m or n; parts run on the
// persistent workers and the calling goroutine.
type gemmJob struct {
	parts parts
	g     gemmArgs
	byN   bool
	chunk int // rows or columns per part (multiple of mr or nr)
	n     int // parts
}

var jobPool = sync.Pool{New: func() any { return new(gemmJob) }}

func worker() {
	for {
		it := nextItem()
		it.job.runPart(it.part)
		it.job.done()
	}
}

// nextItem receives the next part, polling for spinFor before it parks
// (see spinFor).
func nextItem() workItem {
	if spinning.Load() {
		start := time.Now()
		for time.Since(start) < spinFor {
			select {
			case it := <-workCh:
				return it
			default:
				runtime.Gosched()
			}
		}
	}
	return <-workCh
}

func (j *gemmJob) done() { j.parts.finish() }

// minParallelWork is the size m·n·k below which Gemm stays on one goroutine:
// 1<<21 is about 50 µs of work on one core, against 3–9 µs to hand a part to
// a polling worker (BenchmarkFanOut). It was 1<<23 while a parked worker
// took longer than the caller's part to start; lowered with the polling, it
// splits the EGRU's input projection and per-step products of the small
// preset (35×768×256, 32×768×256): 2-thread steps 0.96× the time for both
// cells, 10 paired rounds (docs/results/performance.md).
const minParallelWork = 1 << 21

// fanning counts the multi-goroutine jobs in flight. Only one fans out at
// a time; a job that starts while another is in flight runs on its caller
// alone. That keeps a Gemm or Parallel called from inside a Parallel body
// (on a worker) from waiting for workers that are all busy with the outer
// job, and costs nothing in results, which never depend on the split.
var fanning atomic.Int32

// fanOut reserves the workers for one job; release with fanning.Add(-1).
func fanOut() bool {
	if fanning.Add(1) == 1 {
		return true
	}
	fanning.Add(-1)
	return false
}

func runGemm(g *gemmArgs, threads int) {
	mt := (g.m + g.ki.mr - 1) / g.ki.mr
	nt := (g.n + g.ki.nr - 1) / g.ki.nr
	if threads <= 1 || int64(g.m)*int64(g.n)*int64(g.k) < minParallelWork || mt*nt < 2 || !fanOut() {
		s := getScratch()
		g.run(s)
		putScratch(s)
		return
	}
	defer fanning.Add(-1)
	j := jobPool.Get().(*gemmJob)
	j.g = *g
	// Split the longer dimension of C (each part packs all of the other
	// operand, so this keeps the redundant packing small), unless it has
	// too few tiles to go around.
	tiles, unit := nt, g.ki.nr
	j.byN = g.n >= g.m
	if j.byN && nt < 2*threads && mt >= 2*threads {
		j.byN = false
	} else if !j.byN && mt < 2*threads && nt >= 2*threads {
		j.byN = true
	}
	if !j.byN {
		tiles, unit = mt, g.ki.mr
	}
	parts := min(threads, tiles)
	per := (tiles + parts - 1) / parts
	j.chunk = per * unit
	j.n = (tiles + per - 1) / per
	j.parts.start(j.n - 1)
	for p := 1; p < j.n; p++ {
		workCh <- workItem{j, p}
	}
	j.runPart(0)
	j.parts.wait()
	j.g = gemmArgs{}
	jobPool.Put(j)
}

func (j *gemmJob) runPart(p int) {
	g := j.g
	off := p * j.chunk
	if j.byN {
		g.n = min(j.chunk, g.n-off)
		g.pj0 += off
		if g.transB {
			g.b = g.b[off*g.ldb:]
		} else {
			g.b = g.b[off:]
		}
		g.c = g.c[off:]
	} else {
		g.m = min(j.chunk, g.m-off)
		if g.transA {
			g.a = g.a[off:]
		} else {
			g.a = g.a[off*g.lda:]
		}
		g.c = g.c[off*g.ldc:]
	}
	s := getScratch()
	g.run(s)
	putScratch(s)
}

// A Ranger is the body of a Parallel loop: Range handles the items [lo, hi).
type Ranger interface {
	Range(lo, hi int)
}

// forJob is one Parallel call.
type forJob struct {
	parts parts
	r     Ranger
	n     int
	chunk int
}

var forPool = sync.Pool{New: func() any { return new(forJob) }}

func (j *forJob) runPart(p int) { j.r.Range(p*j.chunk, min(j.n, (p+1)*j.chunk)) }
func (j *forJob) done()         { j.parts.finish() }

// Parallel calls r.Range on contiguous ranges that cover [0, n) exactly
// once, on up to Threads() goroutines (the caller's included), with at least
// grain items per range: below 2·grain items it is one serial call. The
// ranges run concurrently, so they must write disjoint data. Where the split
// falls depends on the thread count, so a body whose result depends on it
// (a sum over its range, say) must not be used with Parallel directly: split
// such work into fixed blocks first and run Parallel over the blocks.
//
// A Parallel or Gemm called from inside Range runs on that goroutine alone
// (see fanning). Passing a pointer to a long-lived Ranger keeps Parallel
// free of allocations.
func Parallel(n, grain int, r Ranger) {
	parts := Threads()
	if grain < 1 {
		grain = 1
	}
	parts = min(parts, n/grain)
	if parts <= 1 || !fanOut() {
		if n > 0 {
			r.Range(0, n)
		}
		return
	}
	defer fanning.Add(-1)
	j := forPool.Get().(*forJob)
	j.r, j.n = r, n
	j.chunk = (n + parts - 1) / parts
	parts = (n + j.chunk - 1) / j.chunk
	j.parts.start(parts - 1)
	for p := 1; p < parts; p++ {
		workCh <- workItem{j, p}
	}
	j.runPart(0)
	j.parts.wait()
	j.r = nil
	forPool.Put(j)
}
