"""Renderers for records on stdout (table, json, jsonl, csv, yaml)."""
