// go-tar-list: the differential peer for airsign's tar reader. It reads a tar exactly as oras-go's
// tarfs does (Go's archive/tar Next() over the file, entries keyed by path.Clean(name), last one
// wins, and a regular file opened by re-reading its last header block on its own) and prints, as
// one JSON line per tar named on the command line, either {"error": "..."} or every name with its
// type and, for regular files, the size and sha256 of the bytes tarfs would return. Written for
// airsign's tests; not product code.
package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"sort"
)

type entry struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
	Sha256 string `json:"sha256,omitempty"`
	pos    int64
}

func main() {
	out := json.NewEncoder(os.Stdout)
	for _, name := range os.Args[1:] {
		list, err := listTar(name)
		if err != nil {
			out.Encode(map[string]string{"error": err.Error()})
		} else {
			out.Encode(map[string]interface{}{"entries": list})
		}
	}
}

func listTar(name string) ([]*entry, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries := map[string]*entry{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		pos, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		entries[path.Clean(h.Name)] = &entry{Name: path.Clean(h.Name), Type: string([]byte{h.Typeflag}), pos: pos - 512}
	}
	list := []*entry{}
	for _, e := range entries {
		if e.Type == string([]byte{tar.TypeReg}) {
			if _, err := f.Seek(e.pos, io.SeekStart); err != nil {
				return nil, err
			}
			r := tar.NewReader(f)
			if _, err := r.Next(); err != nil {
				return nil, err
			}
			h := sha256.New()
			n, err := io.Copy(h, r)
			if err != nil {
				return nil, err
			}
			e.Size = n
			e.Sha256 = hex.EncodeToString(h.Sum(nil))
		}
		list = append(list, e)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, nil
}
