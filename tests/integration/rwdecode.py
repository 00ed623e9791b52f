"""Decoders for Prometheus remote write 1.0 bodies, standard library only: the Snappy block
format (python3-snappy is not a test dependency) and the few protobuf messages of a
WriteRequest. Strict: malformed input raises ValueError, never decodes to something plausible."""

import struct


def _varint(buf, pos):
    """Reads a base-128 varint at pos; returns (value, new position)."""
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated or overlong varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


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


def _fields(buf):
    """Yields (field number, wire type, value) of one protobuf message."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, pos = _varint(buf, pos)
        elif wt == 1:
            v = buf[pos:pos + 8]
            pos += 8
        elif wt == 2:
            ln, pos = _varint(buf, pos)
            v = buf[pos:pos + ln]
            pos += ln
        elif wt == 5:
            v = buf[pos:pos + 4]
            pos += 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        if pos > len(buf):
            raise ValueError("field past the end")
        yield num, wt, v


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
