// go-manifest-read: the differential peer for airsign's strict manifest reader. It decodes each
// document the way oras-go, containers/image and notation-go do — Go's encoding/json into the OCI
// image-spec shapes (field names matched case-insensitively, unknown fields ignored, []byte as
// base64) — and prints, per input line "<index|manifest> <base64 of the document>", one JSON line:
// {"error": "..."} or the fields a signer relies on. Written for airsign's tests; the structs are
// written from the OCI image-spec field list, not copied. Not product code.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
)

type platform struct {
	Architecture string   `json:"architecture"`
	OS           string   `json:"os"`
	OSVersion    string   `json:"os.version,omitempty"`
	OSFeatures   []string `json:"os.features,omitempty"`
	Variant      string   `json:"variant,omitempty"`
	Features     []string `json:"features,omitempty"`
}

type descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	URLs         []string          `json:"urls,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Data         []byte            `json:"data,omitempty"`
	Platform     *platform         `json:"platform,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
}

type manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType,omitempty"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Config        descriptor        `json:"config"`
	Layers        []descriptor      `json:"layers"`
	Subject       *descriptor       `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

type index struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType,omitempty"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Manifests     []descriptor      `json:"manifests"`
	Subject       *descriptor       `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64*1024*1024), 64*1024*1024)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		kind, encoded, _ := strings.Cut(in.Text(), " ")
		doc, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			panic(err)
		}
		var view interface{}
		if kind == "index" {
			var v index
			err = json.Unmarshal(doc, &v)
			view = v
		} else {
			var v manifest
			err = json.Unmarshal(doc, &v)
			view = v
		}
		if err != nil {
			_ = out.Encode(map[string]string{"error": err.Error()})
		} else {
			_ = out.Encode(view)
		}
	}
}
