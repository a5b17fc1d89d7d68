#!/usr/bin/env python3
"""Makes tests/data/bad/: malformed BTF files derived from mini_vmlinux.btf,
one defect each, and expected.tsv (file, a substring btfreg's error must
contain). Run from anywhere; rerun after regenerating the fixtures."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "mini_vmlinux.btf")
OUT = os.path.join(HERE, "bad")
HDR = "<HBBIIIII"  # magic, version, flags, hdr_len, type_off, type_len, str_off, str_len

KIND_PTR, KIND_STRUCT = 2, 4


def record_size(kind, vlen):
    extra = {1: 4, 3: 12, 14: 4, 17: 4}.get(kind, 0)
    per = {4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12}.get(kind, 0)
    return 12 + extra + per * vlen


def types(data):
    """(id, offset of the record in data, kind, vlen) for every type."""
    _, _, _, hdr_len, type_off, type_len, _, _ = struct.unpack_from(HDR, data)
    off, end, tid = hdr_len + type_off, hdr_len + type_off + type_len, 1
    while off < end:
        _, info, _ = struct.unpack_from("<III", data, off)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        yield tid, off, kind, vlen
        off += record_size(kind, vlen)
        tid += 1


def first(data, kind):
    return next((t for t in types(data) if t[2] == kind))


def patch_hdr(data, **fields):
    names = ["magic", "version", "flags", "hdr_len", "type_off", "type_len", "str_off", "str_len"]
    values = list(struct.unpack_from(HDR, data))
    for k, v in fields.items():
        values[names.index(k)] = v
    out = bytearray(data)
    struct.pack_into(HDR, out, 0, *values)
    return bytes(out)


def patch32(data, offset, value):
    out = bytearray(data)
    struct.pack_into("<I", out, offset, value)
    return bytes(out)


def main():
    src = open(SRC, "rb").read()
    hdr = struct.unpack_from(HDR, src)
    hdr_len, type_off, type_len, str_off, str_len = hdr[3:]
    ptr_id, ptr_off, _, _ = first(src, KIND_PTR)
    st_id, st_off, _, st_vlen = first(src, KIND_STRUCT)
    cases = {
        "empty.btf": (b"", "empty input"),
        "truncated_header.btf": (src[:16], "truncated BTF header"),
        "truncated_types.btf": (src[: hdr_len + type_off + type_len // 2], "past the data"),
        "bad_magic.btf": (b"\x9f\xec" + src[2:], "neither raw BTF"),
        "bad_version.btf": (patch_hdr(src, version=2), "unsupported BTF version"),
        "hdr_len_past_end.btf": (patch_hdr(src, hdr_len=0xFFFF), "header length"),
        # A longer header whose extra field is set: a format this reader
        # does not know (the kernel: E2BIG, "Unsupported btf_header").
        "hdr_unknown_field.btf": (patch_hdr(src[:hdr_len], hdr_len=hdr_len + 4)
                                  + b"\0\0\0\x01" + src[hdr_len:], "must be zero"),
        "type_off_unaligned.btf": (patch_hdr(src, type_off=2), "not 4-byte aligned"),
        "str_off_past_end.btf": (patch_hdr(src, str_off=len(src)), "string section ends at"),
        "type_len_absurd.btf": (patch_hdr(src, type_len=0xFFFFFFF0), "type section ends at"),
        "str_unterminated.btf": (src[:-1] + b"x", "not NUL-terminated"),
        "name_off_past_strings.btf": (patch32(src, st_off, 991203), "string offset 991203"),
        "ptr_loop.btf": (patch32(src, ptr_off + 8, ptr_id), "loop"),
        "dangling_ref.btf": (patch32(src, ptr_off + 8, 999999), "refers to type 999999"),
        # The struct claims 65535 members: its record runs past the section.
        "absurd_vlen.btf": (patch32(src, st_off + 4, (KIND_STRUCT << 24) | 0xFFFF),
                            "libbpf rejected the BTF"),
        "unknown_kind.btf": (patch32(src, ptr_off + 4, 31 << 24), "libbpf rejected the BTF"),
        "struct_too_small.btf": (patch32(src, st_off + 8, 1), "ends past the struct's size 1"),
        "kflag_on_ptr.btf": (patch32(src, ptr_off + 4, (1 << 31) | (KIND_PTR << 24)),
                             "kind_flag set on PTR"),
        "not_btf_at_all.btf": (b"#!/bin/sh\necho hello\n", "neither raw BTF"),
        # The sections must tile the data (the kernel: "Unsupported section
        # found"): a gap between the types and the strings, bytes after the
        # strings.
        "section_gap.btf": (patch_hdr(src[:hdr_len + type_off + type_len], type_len=type_len - 4)
                            + src[hdr_len + type_off + type_len:],
                            "belong to no section"),
        "trailing_data.btf": (src + b"\0\0\0\0", "after the sections"),
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "expected.tsv"), "w") as tsv:
        for name in sorted(cases):
            data, expect = cases[name]
            with open(os.path.join(OUT, name), "wb") as f:
                f.write(data)
            tsv.write("%s\t%s\n" % (name, expect))
    print("wrote %d files to %s" % (len(cases), OUT))


if __name__ == "__main__":
    main()
