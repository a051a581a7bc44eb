"""Kubernetes signals of the club apps (events and deployment availability) as incidents."""
