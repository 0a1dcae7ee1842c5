package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Durations in the JSON files of a run (options.json, state.json,
// result.json) are written in seconds, as numbers a reader can use without
// knowing Go's nanosecond time.Duration: Options.SaveEvery as save_every_s
// and RunState.Elapsed as elapsed_s. Files written before then hold
// nanoseconds under save_every and elapsed; they still read.

// plainOptions and plainRunState have the fields but not the methods of
// Options and RunState, so the methods below can marshal them without
// calling themselves.
type (
	plainOptions  Options
	plainRunState RunState
)

// MarshalJSON writes o with SaveEvery in seconds (save_every_s).
func (o Options) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		plainOptions
		Hidden  *struct{} `json:"save_every,omitempty"` // shadows the nanoseconds of plainOptions
		Seconds float64   `json:"save_every_s"`
	}{plainOptions: plainOptions(o), Seconds: o.SaveEvery.Seconds()})
}

// UnmarshalJSON reads options written by MarshalJSON, or by earlier
// versions with SaveEvery in nanoseconds (save_every).
func (o *Options) UnmarshalJSON(b []byte) error { return o.unmarshal(b, false) }

// unmarshal is UnmarshalJSON; with strict, a field that Options does not
// have is an error (encoding/json does not pass a Decoder's
// DisallowUnknownFields on to an UnmarshalJSON method), as is data after
// the object.
func (o *Options) unmarshal(b []byte, strict bool) error {
	v := struct {
		*plainOptions
		Seconds *float64 `json:"save_every_s"`
	}{plainOptions: (*plainOptions)(o)}
	if strict {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if _, err := dec.Token(); err != io.EOF {
			return errors.New("data after the options object")
		}
	} else if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Seconds != nil {
		d, err := fromSeconds(*v.Seconds, "save_every_s")
		if err != nil {
			return err
		}
		o.SaveEvery = d
	}
	return nil
}

// MarshalJSON writes s with Elapsed in seconds (elapsed_s).
func (s RunState) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		plainRunState
		Hidden  *struct{} `json:"elapsed,omitempty"` // shadows the nanoseconds of plainRunState
		Seconds float64   `json:"elapsed_s"`
	}{plainRunState: plainRunState(s), Seconds: s.Elapsed.Seconds()})
}

// UnmarshalJSON reads a state written by MarshalJSON, or by earlier
// versions with Elapsed in nanoseconds (elapsed).
func (s *RunState) UnmarshalJSON(b []byte) error {
	v := struct {
		*plainRunState
		Seconds *float64 `json:"elapsed_s"`
	}{plainRunState: (*plainRunState)(s)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Seconds != nil {
		d, err := fromSeconds(*v.Seconds, "elapsed_s")
		if err != nil {
			return err
		}
		s.Elapsed = d
	}
	return nil
}

// fromSeconds converts seconds to a Duration, rounded to the nanosecond;
// field names the value in the error for one that a Duration cannot hold.
func fromSeconds(s float64, field string) (time.Duration, error) {
	ns := math.Round(s * 1e9)
	if !(ns >= math.MinInt64 && ns <= math.MaxInt64) {
		return 0, fmt.Errorf("%s %g is out of range (at most %g seconds)", field, s, float64(math.MaxInt64)/1e9)
	}
	if ns == math.MaxInt64 {
		// float64(MaxInt64) is 2^63, one past the largest Duration, and it
		// is what the largest Durations write: read it as the largest.
		return math.MaxInt64, nil
	}
	return time.Duration(ns), nil
}
