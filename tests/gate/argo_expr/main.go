// Judges a metric measurement the way Argo Rollouts does: the condition is an expr-lang
// expression over `result` (the value the web provider's jsonPath selected), and the phase
// follows from the success and failure conditions (utils/evaluate in argo-rollouts).
//
// stdin: {"result": <json>, "success": "<expr>", "failure": "<expr>"}; stdout: the phase.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/expr-lang/expr"
)

type input struct {
	Result  any    `json:"result"`
	Success string `json:"success"`
	Failure string `json:"failure"`
}

func holds(result any, condition string) (bool, error) {
	env := map[string]any{"result": result}
	program, err := expr.Compile(condition, expr.Env(env))
	if err != nil {
		return false, err
	}
	out, err := expr.Run(program, env)
	if err != nil {
		return false, err
	}
	value, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("expected bool, got %T", out)
	}
	return value, nil
}

func phase(in input) (string, error) {
	success, failure := false, false
	var err error
	if in.Success != "" {
		if success, err = holds(in.Result, in.Success); err != nil {
			return "Error", err
		}
	}
	if in.Failure != "" {
		if failure, err = holds(in.Result, in.Failure); err != nil {
			return "Error", err
		}
	}
	switch {
	case in.Success == "" && in.Failure == "":
		return "Successful", nil
	case in.Failure == "":
		failure = !success
	case in.Success == "":
		success = !failure
	}
	if failure {
		return "Failed", nil
	}
	if !success {
		return "Inconclusive", nil
	}
	return "Successful", nil
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	result, err := phase(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	fmt.Println(result)
}
