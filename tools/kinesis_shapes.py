#!/usr/bin/env python3
"""Writes src/http/shapes.c: the shapes of the Kinesis API's requests, from
the API model that the AWS CLI carries (botocore's service-2.json), so that
the endpoint checks requests by the same rules as Kinesis (types, required
members, lengths, ranges, patterns, enums) without a hand-copied table.

    python3 tools/kinesis_shapes.py [service-2.json] > src/http/shapes.c

Only the shapes that operations take as input are written.  Run it again
when the model gains an operation; the output is committed.  The committed
src/http/shapes.c was written from botocore's model at commit 0e6e240
(2026-08-07), which has the operations Kinesis added after the one Debian's
AWS CLI carries (TagResource, UpdateMaxRecordSize, ...): the AWS SDKs of
that time send them."""
import json
import sys

MODEL = "/usr/lib/python3/dist-packages/awscli/botocore/data/kinesis/2013-12-02/service-2.json"
path = sys.argv[1] if len(sys.argv) > 1 else MODEL
model = json.load(open(path))
shapes = model["shapes"]
operations = model["operations"]

order = []
index = {}


def visit(name):
    if name in index:
        return
    index[name] = len(order)
    order.append(name)
    s = shapes[name]
    if s["type"] == "structure":
        for m in s["members"].values():
            visit(m["shape"])
    elif s["type"] == "list":
        visit(s["member"]["shape"])
    elif s["type"] == "map":
        visit(s["key"]["shape"])
        visit(s["value"]["shape"])


for op in sorted(operations):
    if "input" in operations[op]:
        visit(operations[op]["input"]["shape"])


def c_string(s):
    return "NULL" if s is None else json.dumps(s)


out = []
w = out.append
w("/*-------------------------------------------------------------------------")
w(" *")
w(" * shapes.c")
w(" *\t  The shapes of Kinesis' requests, written by tools/kinesis_shapes.py")
w(" *\t  from botocore's model of the API (%s)." % model["metadata"]["uid"])
w(" *\t  Do not edit: run the tool again.")
w(" *")
w(" *-------------------------------------------------------------------------")
w(" */")
w('#include "postgres.h"')
w("")
w('#include "http/validate.h"')
w("")
for name in order:
    s = shapes[name]
    if s["type"] == "structure" and s["members"]:
        req = set(s.get("required", []))
        w("static const KinesisMember %s_members[] = {" % name)
        for mname, m in s["members"].items():
            w("\t{%s, %d, %s}," % (c_string(mname), index[m["shape"]],
                                    "true" if mname in req else "false"))
        w("};")
    if "enum" in s:
        w("static const char *const %s_enum[] = {%s, NULL};" %
          (name, ", ".join(c_string(e) for e in s["enum"])))
w("")
w("const KinesisShape kinesis_shapes[] = {")
for name in order:
    s = shapes[name]
    t = {"structure": "SHAPE_STRUCTURE", "list": "SHAPE_LIST", "map": "SHAPE_MAP",
         "string": "SHAPE_STRING", "integer": "SHAPE_INTEGER", "long": "SHAPE_LONG",
         "boolean": "SHAPE_BOOLEAN", "blob": "SHAPE_BLOB", "timestamp": "SHAPE_TIMESTAMP",
         "double": "SHAPE_DOUBLE"}[s["type"]]
    members = "%s_members" % name if s["type"] == "structure" and s["members"] else "NULL"
    nmembers = len(s["members"]) if s["type"] == "structure" else 0
    element = index[s["member"]["shape"]] if s["type"] == "list" else \
        index[s["value"]["shape"]] if s["type"] == "map" else -1
    key = index[s["key"]["shape"]] if s["type"] == "map" else -1
    w("\t{%s, %s, %s, %s, %s, %s, %s, %s, %d, %s, %d, %d}," % (
        c_string(name), t,
        "true" if "min" in s else "false", int(s.get("min", 0)),
        "true" if "max" in s else "false", "INT64CONST(%d)" % int(s.get("max", 0)),
        c_string(s.get("pattern")),
        "%s_enum" % name if "enum" in s else "NULL",
        nmembers, members, element, key))
w("};")
w("")
w("const KinesisOperation kinesis_operations[] = {")
for op in sorted(operations):
    o = operations[op]
    w("\t{%s, %d}," % (c_string(op), index[o["input"]["shape"]] if "input" in o else -1))
w("};")
w("")
w("const int kinesis_noperations = lengthof(kinesis_operations);")
print("\n".join(out))
