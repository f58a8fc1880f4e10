// helm-render: a stand-in for `helm template` where helm is not installed,
// used to render deploy/helm/nimbus on the project's machines (no helm, no
// Go module proxy). Go's text/template with sprig and the helm functions the
// chart uses (include, required, toYaml, toJson), strict on missing keys
// (missingkey=error, as `helm lint --strict`); every rendered document is
// parsed as YAML and listed as kind/name on stderr. It is not helm: no
// schema validation, no capabilities, no hooks, and sprig is Debian's.
//
//	apt-get install golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev
//	cd deploy/tools/helm-render && GO111MODULE=off GOPATH=/usr/share/gocode go build -o /tmp/helm-render .
//	/tmp/helm-render deploy/helm/nimbus my-values.yaml > rendered.yaml
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	yaml "gopkg.in/yaml.v3"
)

func toYAML(v interface{}) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func merge(dst, src map[string]interface{}) {
	for k, v := range src {
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

func main() {
	chart := os.Args[1]
	values := map[string]interface{}{}
	for _, f := range append([]string{filepath.Join(chart, "values.yaml")}, os.Args[2:]...) {
		data, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		layer := map[string]interface{}{}
		if err := yaml.Unmarshal(data, &layer); err != nil {
			panic(err)
		}
		merge(values, layer)
	}
	root := template.New("gotpl").Option("missingkey=error")
	funcs := sprig.TxtFuncMap()
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	funcs["toYaml"] = toYAML
	funcs["toJson"] = func(v interface{}) string { b, _ := json.Marshal(v); return string(b) }
	root.Funcs(funcs)
	files, _ := filepath.Glob(filepath.Join(chart, "templates", "*"))
	sort.Strings(files)
	for _, f := range files {
		data, _ := os.ReadFile(f)
		name := "nimbus/templates/" + filepath.Base(f)
		if _, err := root.New(name).Parse(string(data)); err != nil {
			fmt.Fprintln(os.Stderr, "parse:", err)
			os.Exit(1)
		}
	}
	top := map[string]interface{}{
		"Values":   values,
		"Release":  map[string]interface{}{"Name": "nimbus", "Namespace": "default", "Service": "Helm"},
		"Chart":    chartMeta(chart),
		"Template": map[string]interface{}{"BasePath": "nimbus/templates", "Name": ""},
	}
	failed := false
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasPrefix(base, "_") {
			continue
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, "nimbus/templates/"+base, top); err != nil {
			fmt.Fprintln(os.Stderr, "render:", err)
			failed = true
			continue
		}
		if base == "NOTES.txt" {
			fmt.Fprintln(os.Stderr, buf.String())
			continue
		}
		fmt.Printf("# Source: %s\n%s\n", base, buf.String())
		dec := yaml.NewDecoder(bytes.NewReader(buf.Bytes()))
		for {
			var doc map[string]interface{}
			err := dec.Decode(&doc)
			if err == io.EOF {
				break
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "yaml:", base, err)
				failed = true
				break
			}
			if doc == nil {
				continue
			}
			md, _ := doc["metadata"].(map[string]interface{})
			fmt.Fprintf(os.Stderr, "%-22s %s/%v\n", base, doc["kind"], md["name"])
		}
	}
	if failed {
		os.Exit(1)
	}
}

// chartMeta reads name, version and appVersion from Chart.yaml as helm names them.
func chartMeta(chart string) map[string]interface{} {
	data, err := os.ReadFile(filepath.Join(chart, "Chart.yaml"))
	if err != nil {
		panic(err)
	}
	var meta struct {
		Name       string `yaml:"name"`
		Version    string `yaml:"version"`
		AppVersion string `yaml:"appVersion"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		panic(err)
	}
	return map[string]interface{}{"Name": meta.Name, "Version": meta.Version, "AppVersion": meta.AppVersion}
}
