// Package config names the fields of configuration structs (model.Config,
// train.Options, the settings of a prune run) by their JSON paths, as the
// checkpoints and run files store them: "batch", "model.drop_word",
// "optimizer.lr".
//
// Library packages report a bad setting as a *FieldError that carries the
// field's path, never the name of a command-line flag: a command line maps
// paths to its own flags (cmd/sparselm/internal/cli does so in one table),
// and a program that builds the structs itself sees the names it set.
// Diff lists the fields in which two configurations differ, for messages
// that name each one.
package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// FieldError is a bad value of one configuration field.
type FieldError struct {
	Path  string // JSON path from the value checked, e.g. "drop_word" in model.Config, "model.drop_word" in train.Options
	Value any    // the value found
	Rule  string // what is wrong, as it reads after the value: "must be positive"
}

// Invalid returns the error that the field at path holds value, which breaks rule.
func Invalid(path string, value any, rule string) *FieldError {
	return &FieldError{Path: path, Value: value, Rule: rule}
}

func (e *FieldError) Error() string { return e.Named(e.Path) }

// Named is the error's text with name (a flag, say) in place of the path:
// "name = value rule", strings quoted.
func (e *FieldError) Named(name string) string {
	v := Format(e.Value)
	if x, ok := e.Value.(string); ok {
		v = strconv.Quote(x)
	}
	return name + " = " + v + " " + e.Rule
}

// Within returns err with the path of the *FieldError in it put under parent
// (drop_word within model is model.drop_word), for a struct that checks a
// struct it holds. The text that wrapped the *FieldError is dropped: the caller
// wraps the result in its own. An err without a *FieldError is returned as it is.
func Within(parent string, err error) error {
	var fe *FieldError
	if !errors.As(err, &fe) {
		return err
	}
	return &FieldError{Path: parent + "." + fe.Path, Value: fe.Value, Rule: fe.Rule}
}

// Format writes v as a user would type it: numbers in their shortest form,
// lists comma-separated (256,256), durations as 5m0s, the empty string as
// "", nil and an empty list as none.
func Format(v any) string {
	switch x := v.(type) {
	case nil:
		return "none"
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case time.Duration:
		return x.String()
	case string:
		if x == "" {
			return `""`
		}
		return x
	case fmt.Stringer:
		return x.String()
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Slice, reflect.Array:
		if r.Len() == 0 {
			return "none"
		}
		parts := make([]string, r.Len())
		for i := range parts {
			parts[i] = Format(r.Index(i).Interface())
		}
		return strings.Join(parts, ",")
	case reflect.Pointer:
		if r.IsNil() {
			return "none"
		}
		return Format(r.Elem().Interface())
	}
	return fmt.Sprint(v)
}

// Difference is a field whose value differs between two configurations.
type Difference struct {
	Path string
	A, B any // the values in the first and the second
}

// Diff returns the fields in which a and b differ, in the order of their
// declaration. Structs (and pointers to structs, both non-nil) are compared
// field by field under the fields' JSON names; anything else, slices
// included, is one value, compared with reflect.DeepEqual. Fields without a
// JSON name (json:"-") and unexported ones are skipped. It panics if a and
// b are not of the same type.
func Diff(a, b any) []Difference {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() {
		panic(fmt.Sprintf("config.Diff: %s and %s", va.Type(), vb.Type()))
	}
	var out []Difference
	diff("", va, vb, &out)
	return out
}

func diff(path string, a, b reflect.Value, out *[]Difference) {
	if a.Kind() == reflect.Pointer && a.Type().Elem().Kind() == reflect.Struct && !a.IsNil() && !b.IsNil() {
		a, b = a.Elem(), b.Elem()
	}
	if a.Kind() != reflect.Struct {
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			*out = append(*out, Difference{Path: path, A: a.Interface(), B: b.Interface()})
		}
		return
	}
	t := a.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		if name == "" {
			continue
		}
		if path != "" {
			name = path + "." + name
		}
		diff(name, a.Field(i), b.Field(i), out)
	}
}

// jsonName returns the name under which encoding/json writes the struct
// field f, or "" if it does not write it.
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return f.Name
}
