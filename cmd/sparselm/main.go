package main
import (
 _ "golang.org/x/sys/cpu"
 _ "gonum.org/v1/gonum/stat/distuv"
)
func main(){}
