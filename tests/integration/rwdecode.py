"""Decoders for Prometheus remote write 1.0 bodies, standard library only: the Snappy block
format (python3-snappy is not a test dependency) and the few protobuf messages of a
WriteRequest. Strict: malformed input raises ValueError, never decodes to something plausible."""

import struct

from protowire import fields as _fields, varint as _varint


def snappy_uncompress(data, max_len=64 << 20):
    """Snappy block format: varint length, then literal and copy elements."""
    n, pos = _varint(data, 0)
    if n > max_len:
        raise ValueError("uncompressed length %d too large" % n)
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            ln = tag >> 2
            if ln >= 60:
                nb = ln - 59
                ln = int.from_bytes(data[pos:pos + nb], "little")
                pos += nb
            ln += 1
            if pos + ln > len(data):
                raise ValueError("literal past the end")
            out += data[pos:pos + ln]
            pos += ln
            continue
        if kind == 1:
            ln = ((tag >> 2) & 7) + 4
            off = ((tag >> 5) << 8) | data[pos]
            pos += 1
        else:
            nb = 2 if kind == 2 else 4
            ln = (tag >> 2) + 1
            off = int.from_bytes(data[pos:pos + nb], "little")
            pos += nb
        if off == 0 or off > len(out):
            raise ValueError("bad copy offset")
        for _ in range(ln):  # byte by byte: copies may overlap their output
            out.append(out[-off])
        if len(out) > n:
            raise ValueError("output longer than announced")
    if len(out) != n:
        raise ValueError("output length %d, announced %d" % (len(out), n))
    return bytes(out)


def _series(buf):
    labels, samples = [], []
    for num, wt, v in _fields(buf):
        if num == 1 and wt == 2:
            lab = {1: "", 2: ""}
            for n2, w2, v2 in _fields(v):
                if w2 == 2 and n2 in lab:
                    lab[n2] = v2.decode("utf-8")
            labels.append((lab[1], lab[2]))
        elif num == 2 and wt == 2:
            value, ts = 0.0, 0
            for n2, w2, v2 in _fields(v):
                if n2 == 1 and w2 == 1:
                    value = struct.unpack("<d", v2)[0]
                elif n2 == 2 and w2 == 0:
                    ts = v2 - (1 << 64) if v2 >= 1 << 63 else v2
            samples.append((value, ts))
    return labels, samples


def write_request(raw):
    """Decodes a WriteRequest: a list of (labels as [(name, value)...], [(value, ts_ms)...])."""
    return [_series(v) for num, wt, v in _fields(raw) if num == 1 and wt == 2]


def decode_body(body):
    return write_request(snappy_uncompress(body))
