#!/usr/bin/env python3
"""Vendor the integrations-actions part of the Genesys Cloud contract as JSON.

Reads the Swagger 2.0 file (default: ../../../../shared/genesys-integrations-api-openapi.yml,
i.e. /work/shared beside the repository) and writes integrations-openapi.json beside this
script: every path under /api/v2/integrations/actions, the integrations listing and single
integration (/api/v2/integrations, /api/v2/integrations/{integrationId}: how function data
actions are told apart), plus the definitions they reference, transitively. Keys are sorted so that re-running it gives the same bytes.

Usage: python3 convert-contract.py [SOURCE.yml]   (needs PyYAML; run once, the output is committed)
"""
import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SOURCE = os.path.join(HERE, "..", "..", "..", "..", "shared", "genesys-integrations-api-openapi.yml")
PREFIX = "/api/v2/integrations/actions"
EXTRA_PATHS = ("/api/v2/integrations", "/api/v2/integrations/{integrationId}")


def refs(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/definitions/"):
                out.add(v.split("/")[-1])
            else:
                refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE
    with open(source, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    paths = {p: ops for p, ops in doc["paths"].items()
             if p == PREFIX or p.startswith(PREFIX + "/") or p in EXTRA_PATHS}
    wanted, todo = set(), set()
    refs(paths, todo)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        found = set()
        refs(doc["definitions"][name], found)
        todo |= found - wanted
    out = {
        "swagger": doc["swagger"],
        "info": {"title": "Genesys Cloud integrations actions (subset)", "source": os.path.basename(source),
                 "version": str(doc.get("info", {}).get("version", ""))},
        "paths": paths,
        "definitions": {k: doc["definitions"][k] for k in sorted(wanted)},
    }
    target = os.path.join(HERE, "integrations-openapi.json")
    with open(target, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {target}: {len(paths)} paths, {len(wanted)} definitions")


if __name__ == "__main__":
    main()
