// Applies the Vigie PII rules with Go's regexp (RE2 syntax, the engine of the OpenTelemetry
// Collector) so tests/ingest/test_scrub.py can check both engines give the same output.
// Reads {"rules": [{"regex", "replacement"}], "keys": [regex], "texts": [...], "attr_keys": [...]}
// on stdin, writes {"texts": [...], "sensitive": [...]} on stdout. Standard library only.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
)

type rule struct {
	Regex       string `json:"regex"`
	Replacement string `json:"replacement"`
}

type input struct {
	Rules    []rule   `json:"rules"`
	Keys     []string `json:"keys"`
	Texts    []string `json:"texts"`
	AttrKeys []string `json:"attr_keys"`
}

type output struct {
	Texts     []string `json:"texts"`
	Sensitive []bool   `json:"sensitive"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "decode:", err)
		os.Exit(2)
	}
	compiled := make([]*regexp.Regexp, len(in.Rules))
	for i, r := range in.Rules {
		re, err := regexp.Compile(r.Regex)
		if err != nil {
			fmt.Fprintf(os.Stderr, "rule %d: %v\n", i, err)
			os.Exit(3)
		}
		compiled[i] = re
	}
	keys := make([]*regexp.Regexp, len(in.Keys))
	for i, k := range in.Keys {
		re, err := regexp.Compile(k)
		if err != nil {
			fmt.Fprintf(os.Stderr, "key pattern %d: %v\n", i, err)
			os.Exit(3)
		}
		keys[i] = re
	}
	out := output{Texts: make([]string, len(in.Texts)), Sensitive: make([]bool, len(in.AttrKeys))}
	for i, text := range in.Texts {
		for j, re := range compiled {
			text = re.ReplaceAllString(text, in.Rules[j].Replacement)
		}
		out.Texts[i] = text
	}
	for i, key := range in.AttrKeys {
		for _, re := range keys {
			if re.MatchString(key) {
				out.Sensitive[i] = true
				break
			}
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "encode:", err)
		os.Exit(2)
	}
}
