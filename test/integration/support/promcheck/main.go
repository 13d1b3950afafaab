// promcheck reads a Prometheus text exposition on stdin, parses it with the
// Prometheus project's own parser (expfmt, which Prometheus' tools use) and
// lints it with promlint (what `promtool check metrics` runs), and prints
// JSON: every metric family with its samples, and the lint problems. A
// document the parser refuses exits 1 with the parser's message on stderr.
// Built and run by test/integration/support/promcheck.ts.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

type sample struct {
	Labels map[string]string `json:"labels"`
	// Counters and gauges.
	Value *float64 `json:"value,omitempty"`
	// Histograms: observations, their sum, and the cumulative count per upper bound.
	Count   *uint64           `json:"count,omitempty"`
	Sum     *float64          `json:"sum,omitempty"`
	Buckets map[string]uint64 `json:"buckets,omitempty"`
}

type family struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Help    string   `json:"help"`
	Samples []sample `json:"samples"`
}

type problem struct {
	Metric string `json:"metric"`
	Text   string `json:"text"`
}

func main() {
	decoder := expfmt.NewDecoder(os.Stdin, expfmt.NewFormat(expfmt.TypeTextPlain))
	var families []*dto.MetricFamily
	for {
		mf := &dto.MetricFamily{}
		if err := decoder.Decode(mf); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			fmt.Fprintf(os.Stderr, "promcheck: the exposition does not parse: %v\n", err)
			os.Exit(1)
		}
		families = append(families, mf)
	}
	problems, err := promlint.NewWithMetricFamilies(families).Lint()
	if err != nil {
		fmt.Fprintf(os.Stderr, "promcheck: lint failed: %v\n", err)
		os.Exit(1)
	}

	out := struct {
		Families []family  `json:"families"`
		Problems []problem `json:"problems"`
	}{Families: []family{}, Problems: []problem{}}
	for _, mf := range families {
		f := family{Name: mf.GetName(), Type: mf.GetType().String(), Help: mf.GetHelp(), Samples: []sample{}}
		for _, m := range mf.GetMetric() {
			s := sample{Labels: map[string]string{}}
			for _, label := range m.GetLabel() {
				s.Labels[label.GetName()] = label.GetValue()
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				s.Value = m.GetCounter().Value
			case dto.MetricType_GAUGE:
				s.Value = m.GetGauge().Value
			case dto.MetricType_UNTYPED:
				s.Value = m.GetUntyped().Value
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				s.Count, s.Sum, s.Buckets = h.SampleCount, h.SampleSum, map[string]uint64{}
				for _, b := range h.GetBucket() {
					s.Buckets[strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)] = b.GetCumulativeCount()
				}
			case dto.MetricType_SUMMARY:
				s.Count, s.Sum = m.GetSummary().SampleCount, m.GetSummary().SampleSum
			}
			f.Samples = append(f.Samples, s)
		}
		out.Families = append(out.Families, f)
	}
	for _, p := range problems {
		out.Problems = append(out.Problems, problem{Metric: p.Metric, Text: p.Text})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "promcheck: %v\n", err)
		os.Exit(1)
	}
}
