"""The Argo Rollouts gate: canary analysis, the whole-app verdict and time-boxed overrides."""
