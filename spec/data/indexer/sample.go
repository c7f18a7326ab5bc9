package geom

import "math"

const Pi2 = 6.28

var origin = Point{}

type Point struct {
	X, Y float64
}

type Shape interface {
	Area() float64
}

func (p *Point) Dist() float64 {
	return math.Sqrt(p.X*p.X + p.Y*p.Y)
}

func NewPoint(x, y float64) Point {
	return Point{X: x, Y: y}
}
