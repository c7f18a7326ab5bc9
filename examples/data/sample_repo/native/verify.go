// Package verify checks item tables against their checksum.
package verify

import "os"

const MaxRows = 100000

type Table struct {
	Path string
	Sum  uint32
}

func (t *Table) Verify() (bool, error) {
	data, err := os.ReadFile(t.Path)
	if err != nil {
		return false, err
	}
	return Adler(data) == t.Sum, nil
}

func Adler(data []byte) uint32 {
	a, b := uint32(1), uint32(0)
	for _, c := range data {
		a = (a + uint32(c)) % 65521
		b = (b + a) % 65521
	}
	return b<<16 | a
}
