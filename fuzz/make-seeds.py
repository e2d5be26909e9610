#!/usr/bin/env python3
"""
Regenerates the fuzzers' seed corpus (fuzz/corpus/<target>/vec-* and
edge-*) and the fixed inputs the harnesses build at start-up
(fuzz/fuzz_vectors.c) from the WebAuthn Level 3 spec test vectors.

    python3 fuzz/make-seeds.py [path/to/webauthn-l3-spec.json]

Standard library only.  Deterministic: the same vectors give the same
files, so the committed corpus only changes when this script or the
vectors do.  Files with other names in the corpus directories (coverage
merges "cov-*", crash reproducers "repro-*") are left alone.
"""

import base64
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

VECTOR_PATHS = [
    os.path.join(ROOT, "tests", "vectors", "webauthn-l3-spec.json"),
    os.path.join(os.path.dirname(ROOT), "shared", "vectors",
                 "webauthn-l3-spec.json"),
]

TARGETS = [
    "cbor", "cose", "auth_data", "client_data", "b64url",
    "registration_json", "assertion_json",
    "att_none", "att_packed", "att_fido_u2f", "att_tpm", "att_android_key",
    "att_apple", "att_compound",
    "registration", "registration_split", "assertion",
    "der", "x509", "json",
]

# The vector cases the harnesses take their fixed inputs from.
FIXED_CASES = [
    "none-es256", "packed-es256", "fido-u2f-es256", "tpm-es256",
    "android-key-es256", "apple-es256",
]


# ---- a small CBOR encoder and span decoder ------------------------------

def head(major, val, width=0):
    """A CBOR head; minimal unless width (argument bytes) is given."""
    if width == 0:
        if val < 24:
            return bytes([major << 5 | val])
        for w, ai in ((1, 24), (2, 25), (4, 26), (8, 27)):
            if val < 1 << (8 * w):
                width = w
                break
    ai = {1: 24, 2: 25, 4: 26, 8: 27}[width]
    return bytes([major << 5 | ai]) + val.to_bytes(width, "big")


class Raw:
    """Pre-encoded CBOR inserted as is."""
    def __init__(self, b):
        self.b = b


def enc(v):
    if isinstance(v, Raw):
        return v.b
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if v is None:
        return b"\xf6"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(enc(k) + enc(x)
                                          for k, x in v.items())
    if isinstance(v, tuple):         # a map as a list of pairs (duplicates)
        return head(5, len(v)) + b"".join(enc(k) + enc(x) for k, x in v)
    raise TypeError(type(v))


def canonical_map(d):
    """CTAP2 canonical order: major type, then length, then bytes."""
    items = sorted(((enc(k), enc(v)) for k, v in d.items()),
                   key=lambda kv: (kv[0][0] >> 5, len(kv[0]), kv[0]))
    return Raw(head(5, len(items)) + b"".join(k + v for k, v in items))


def dec(b, pos=0):
    """Decodes one definite-length item: (value, end).  Maps become dicts
    whose values are (value, start, end) so that callers can slice."""
    ib = b[pos]
    major, ai = ib >> 5, ib & 31
    pos += 1
    if ai < 24:
        arg = ai
    elif ai <= 27:
        n = 1 << (ai - 24)
        arg = int.from_bytes(b[pos:pos + n], "big")
        pos += n
    else:
        raise ValueError("unsupported CBOR head")
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major == 2:
        return b[pos:pos + arg], pos + arg
    if major == 3:
        return b[pos:pos + arg].decode(), pos + arg
    if major == 4:
        out = []
        for _ in range(arg):
            v, pos = dec(b, pos)
            out.append(v)
        return out, pos
    if major == 5:
        out = {}
        for _ in range(arg):
            k, pos = dec(b, pos)
            start = pos
            v, pos = dec(b, pos)
            out[k] = (v, start, pos)
        return out, pos
    if major == 7:
        return {20: False, 21: True, 22: None}.get(arg), pos
    raise ValueError("unsupported CBOR major type %d" % major)


# ---- the vectors ---------------------------------------------------------

def unhex(s):
    return bytes.fromhex(s)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def auth_data_parts(ad):
    """The COSE key and credential id of an attested authenticatorData."""
    n = int.from_bytes(ad[53:55], "big")
    cred_id = ad[55:55 + n]
    _, end = dec(ad, 55 + n)
    return cred_id, ad[55 + n:end]


def der_tlv(b, pos):
    """One DER TLV at pos: (tag octet, contents start, end)."""
    tag = b[pos]
    pos += 1
    if tag & 0x1f == 0x1f:
        while b[pos] & 0x80:
            pos += 1
        pos += 1
    n = b[pos]
    pos += 1
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[pos:pos + k], "big")
        pos += k
    return tag, pos, pos + n


def der_children(b, start, end):
    out = []
    while start < end:
        tag, vs, ve = der_tlv(b, start)
        out.append((tag, vs, ve, start))
        start = ve
    return out


def cert_extensions(cert):
    """{OID contents: extnValue contents} of a DER certificate."""
    _, cs, ce = der_tlv(cert, 0)
    tbs_tag, ts, te, _ = der_children(cert, cs, ce)[0]
    exts = {}
    for tag, vs, ve, _ in der_children(cert, ts, te):
        if tag != 0xa3:                      # [3] extensions
            continue
        _, ss, se = der_tlv(cert, vs)
        for _, es, ee, _ in der_children(cert, ss, se):
            parts = der_children(cert, es, ee)
            oid = cert[parts[0][1]:parts[0][2]]
            octets = parts[-1]
            exts[oid] = cert[octets[1]:octets[2]]
    return exts


def load_cases(path):
    with open(path) as f:
        data = json.load(f)
    cases = []
    for c in data["cases"]:
        r, a = c["registration"], c["authentication"]
        obj = unhex(r["attestationObject"])
        top, end = dec(obj)
        assert end == len(obj)
        fmt = top["fmt"][0]
        _, ad_start, ad_end = top["authData"]
        ad_raw = obj[ad_start:ad_end]
        ad_hdr_len = len(ad_raw) - len(top["authData"][0])
        ad_start += ad_hdr_len
        _, st_start, st_end = top["attStmt"]
        reg_ad = obj[ad_start:ad_end]
        cred_id, cose_key = auth_data_parts(reg_ad)
        stmt, _ = dec(obj, st_start)
        x5c = []
        if isinstance(stmt, dict) and "x5c" in stmt:
            x5c = list(stmt["x5c"][0])
        cases.append({
            "name": c["name"],
            "fmt": fmt,
            "reg_challenge": unhex(r["challenge"]),
            "reg_cdj": unhex(r["clientDataJSON"]),
            "att_obj": obj,
            "ad_off": ad_start, "ad_len": ad_end - ad_start,
            "st_off": st_start, "st_len": st_end - st_start,
            "att_stmt": obj[st_start:st_end],
            "reg_ad": reg_ad,
            "cred_id": cred_id,
            "cose_key": cose_key,
            "x5c": x5c,
            "auth_challenge": unhex(a["challenge"]),
            "auth_cdj": unhex(a["clientDataJSON"]),
            "auth_ad": unhex(a["authenticatorData"]),
            "auth_sig": unhex(a["signature"]),
        })
    return data, cases


# ---- output ----------------------------------------------------------------

class Corpus:
    def __init__(self):
        self.files = {t: {} for t in TARGETS}

    def add(self, target, name, data):
        if isinstance(data, str):
            data = data.encode()
        assert name not in self.files[target], (target, name)
        self.files[target][name] = data

    def write(self):
        total = 0
        for t, files in self.files.items():
            d = os.path.join(HERE, "corpus", t)
            os.makedirs(d, exist_ok=True)
            for old in os.listdir(d):
                if old.startswith(("vec-", "edge-")) and old not in files:
                    os.unlink(os.path.join(d, old))
            for name, data in sorted(files.items()):
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
                total += len(data)
        return total


def c_bytes(name, b):
    lines = ["static const uint8_t  %s[%d] = {" % (name, max(len(b), 1))]
    for i in range(0, len(b), 12):
        lines.append("    " + " ".join("0x%02x," % x for x in b[i:i + 12]))
    if not b:
        lines.append("    0x00")
    lines.append("};")
    return "\n".join(lines)


def write_vectors_c(data, cases, path):
    out = [
        "/*",
        " * The fuzzers' fixed inputs, from the WebAuthn Level 3 spec test",
        " * vectors (%s)." % data["source"].split(",")[0],
        " * Generated by fuzz/make-seeds.py: regenerate, do not edit.",
        " */",
        "",
        "#include \"fuzz_common.h\"",
        "",
        "",
        c_bytes("fv_ca_cert_der", unhex(data["attestation_ca_cert"])),
        "",
    ]
    by_name = {c["name"]: c for c in cases}
    fields = ["reg_challenge", "reg_cdj", "att_obj", "cred_id",
              "auth_challenge", "auth_cdj", "auth_ad", "auth_sig"]
    for n in FIXED_CASES:
        c = by_name[n]
        ident = n.replace("-", "_")
        for f in fields:
            out.append(c_bytes("fv_%s_%s" % (ident, f), c[f]))
            out.append("")
    out.append("")
    out.append("const uint8_t  *const fv_ca_cert = fv_ca_cert_der;")
    out.append("const size_t    fv_ca_cert_len = sizeof(fv_ca_cert_der);")
    out.append("")
    out.append("const fv_case_t  fv_cases[] = {")
    for n in FIXED_CASES:
        c = by_name[n]
        ident = n.replace("-", "_")
        out.append("    {")
        out.append("        \"%s\", \"%s\"," % (n, c["fmt"]))
        for f in fields:
            out.append("        fv_%s_%s, sizeof(fv_%s_%s),"
                       % (ident, f, ident, f))
        out.append("        %d, %d, %d, %d," % (c["ad_off"], c["ad_len"],
                                               c["st_off"], c["st_len"]))
        out.append("    },")
    out.append("};")
    out.append("")
    out.append("const size_t  fv_n_cases = sizeof(fv_cases) "
               "/ sizeof(fv_cases[0]);")
    out.append("")
    with open(path, "w") as f:
        f.write("\n".join(out))


# ---- seeds -------------------------------------------------------------------

RP_ID_HASH = hashlib.sha256(b"example.org").digest()

# A P-256 point (the generator) for hand-made COSE keys.
P256_GX = unhex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0"
                "f4a13945d898c296")
P256_GY = unhex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ece"
                "cbb6406837bf51f5")


def cbor_edges():
    """Hand-made CBOR: every rule of the strict decoder, each side of it."""
    e = {}
    simple = {
        "uint-small": "00", "uint-23": "17", "uint-24": "1818",
        "uint-nonmin-1": "1817", "uint-nonmin-2": "1900ff",
        "uint-nonmin-4": "1a0000ffff", "uint-nonmin-8": "1b00000000ffffffff",
        "uint-max": "1bffffffffffffffff", "negint-max": "3bffffffffffffffff",
        "negint-int64min": "3b7fffffffffffffff",
        "negint-beyond": "3b8000000000000000",
        "negint-1": "20", "bytes-empty": "40", "bytes-1": "4100",
        "text-empty": "60", "text-a": "6161", "text-bad-utf8": "62c328",
        "text-surrogate": "63eda080", "text-overlong": "62c080",
        "text-4byte": "64f0908d88", "text-above-max": "64f4908080",
        "false": "f4", "true": "f5", "null": "f6", "undefined": "f7",
        "simple-0": "e0", "simple-19": "f3", "simple-24-low": "f818",
        "simple-32": "f820", "simple-255": "f8ff",
        "half": "f93c00", "half-nan": "f97e01", "single": "fa3f800000",
        "double": "fb3ff0000000000000", "float-reserved": "fc",
        "tag-0": "c074323031332d30332d32315432303a30343a30305a",
        "tag-bignum": "c2420100",
        "bytes-indef": "5f4100ff", "text-indef": "7f6161ff",
        "array-indef": "9f00ff", "map-indef": "bf0000ff", "break": "ff",
        "reserved-28": "1c", "reserved-29": "3d", "reserved-30": "5e",
        "array-empty": "80", "array-1": "8100", "map-empty": "a0",
        "map-1": "a10000", "map-dup-int": "a2010001 00".replace(" ", ""),
        "map-dup-text": "a2616100616100", "map-unsorted": "a2020001 00"
        .replace(" ", ""),
        "map-sorted-int-text": "a201006161 00".replace(" ", ""),
        "map-text-before-int": "a2616100 0100".replace(" ", ""),
        "map-neg-before-pos": "a2200001 00".replace(" ", ""),
        "map-long-key-first": "a21818000100",
        "map-bytes-key": "a1410000", "map-array-key": "a1810000",
        "map-map-key": "a1a0 00".replace(" ", ""),
        "bytes-huge-claim": "5bffffffffffffffff00",
        "text-huge-claim": "7b7fffffffffffffff",
        "array-huge-claim": "9bffffffffffffffff",
        "map-huge-claim": "bbffffffffffffffff",
        "array-count-lie": "9a0001000000",
        "truncated-head": "1a0000", "truncated-bytes": "4500",
        "trailing": "0000", "empty": "",
    }
    for k, v in simple.items():
        e[k] = unhex(v)
    e["nest-16"] = b"\x81" * 16 + b"\x00"
    e["nest-17"] = b"\x81" * 17 + b"\x00"
    e["nest-maps-16"] = b"\xa1\x00" * 16 + b"\x00"
    e["map-64"] = head(5, 64) + b"".join(enc(i) + b"\x00" for i in range(64))
    e["map-65"] = head(5, 65) + b"".join(enc(i) + b"\x00" for i in range(65))
    e["map-64-dup-last"] = (head(5, 64) + b"".join(enc(i) + b"\x00"
                                                     for i in range(63))
                            + b"\x00\x00")
    e["array-1000"] = head(4, 1000) + b"\x00" * 1000
    e["bytes-nonmin-len"] = b"\x58\x01\x00"
    e["text-nonmin-len"] = b"\x79\x00\x01a"
    return e


def cose_edges():
    base = {1: 2, 3: -7, -1: 1, -2: P256_GX, -3: P256_GY}
    e = {
        "ec2-p256-generator": canonical_map(base).b,
        "ec2-unsorted": enc({3: -7, 1: 2, -1: 1, -2: P256_GX, -3: P256_GY}),
        "ec2-private-d": canonical_map({**base, -4: b"\x01" * 32}).b,
        "ec2-compressed": canonical_map({**base, -3: True}).b,
        "ec2-short-x": canonical_map({**base, -2: P256_GX[:31]}).b,
        "ec2-not-on-curve": canonical_map({**base, -3: P256_GX}).b,
        "ec2-zero-point": canonical_map({**base, -2: bytes(32),
                                                      -3: bytes(32)}).b,
        "ec2-crv-alg-mismatch": canonical_map({**base, 3: -35}).b,
        "ec2-crv-p384": canonical_map({**base, -1: 2}).b,
        "ec2-crv-unknown": canonical_map({**base, -1: 99}).b,
        "ec2-no-alg": canonical_map({1: 2, -1: 1, -2: P256_GX,
                                     -3: P256_GY}).b,
        "ec2-alg-rs256": canonical_map({**base, 3: -257}).b,
        "ec2-extra-label": canonical_map({**base, 4: [1]}).b,
        "okp-ed25519-zero": canonical_map({1: 1, 3: -8, -1: 6,
                                           -2: bytes(32)}).b,
        "okp-ed25519-fully": canonical_map({1: 1, 3: -19, -1: 6,
                                            -2: bytes(32)}).b,
        "okp-ed448-short": canonical_map({1: 1, 3: -53, -1: 7,
                                          -2: bytes(56)}).b,
        "okp-x25519": canonical_map({1: 1, 3: -8, -1: 4,
                                     -2: bytes(32)}).b,
        "rsa-small": canonical_map({1: 3, 3: -257, -1: b"\xc3" * 128,
                                    -2: b"\x01\x00\x01"}).b,
        "rsa-2048": canonical_map({1: 3, 3: -257, -1: b"\xc3" * 256,
                                   -2: b"\x01\x00\x01"}).b,
        "rsa-even-e": canonical_map({1: 3, 3: -37, -1: b"\xc3" * 256,
                                     -2: b"\x01\x00\x00"}).b,
        "rsa-e-1": canonical_map({1: 3, 3: -257, -1: b"\xc3" * 256,
                                  -2: b"\x01"}).b,
        "rsa-private": canonical_map({1: 3, 3: -257, -1: b"\xc3" * 256,
                                      -2: b"\x01\x00\x01",
                                      -3: b"\x01"}).b,
        "rsa-leading-zero": canonical_map({1: 3, 3: -257,
                                           -1: b"\x00" + b"\xc3" * 256,
                                           -2: b"\x01\x00\x01"}).b,
        "kty-unknown": canonical_map({1: 9, 3: -7}).b,
        "kty-text": canonical_map({1: "EC2", 3: -7}).b,
        "not-a-map": enc([1, 2]),
        "empty-map": b"\xa0",
    }
    return e


def auth_data(flags, count=0, attested=None, ext=None, rp=RP_ID_HASH):
    b = rp + bytes([flags]) + count.to_bytes(4, "big")
    if attested is not None:
        aaguid, cred_id, key = attested
        b += aaguid + len(cred_id).to_bytes(2, "big") + cred_id + key
    if ext is not None:
        b += ext
    return b


def auth_data_edges(key):
    att = (bytes(16), b"\x11" * 16, key)
    e = {
        "up": auth_data(0x01, 1),
        "up-uv-be-bs": auth_data(0x1d, 7),
        "bs-without-be": auth_data(0x11),
        "reserved-bits": auth_data(0x23),
        "truncated-36": auth_data(0x01)[:36],
        "at": auth_data(0x41, 0, att),
        "at-ed": auth_data(0xc1, 0, att, canonical_map({"credProtect": 2}).b),
        "ed": auth_data(0x81, 0, None,
                        canonical_map({"credProtect": 2, "hmac-secret":
                                       True}).b),
        "ed-not-map": auth_data(0x81, 0, None, enc([1])),
        "ed-empty": auth_data(0x81, 0),
        "ed-unsorted": auth_data(0x81, 0, None,
                                 enc({"hmac-secret": True,
                                      "credProtect": 2})),
        "at-no-key": auth_data(0x41, 0, (bytes(16), b"\x11" * 16, b"")),
        "at-cred-id-0": auth_data(0x41, 0, (bytes(16), b"", key)),
        "at-cred-id-1023": auth_data(0x41, 0, (bytes(16), b"\x22" * 1023,
                                               key)),
        "at-cred-id-1024": auth_data(0x41, 0, (bytes(16), b"\x22" * 1024,
                                               key)),
        "at-cred-id-overrun": auth_data(0x41, 0, att)[:60],
        "at-trailing": auth_data(0x41, 0, att) + b"\x00",
        "trailing": auth_data(0x01) + b"\x00",
        "at-flag-missing": auth_data(0x01, 0) + bytes(16) + b"\x00\x10"
                           + b"\x11" * 16 + key,
    }
    return e


def client_data_edges():
    ch = b64u(b"\x01" * 32)
    o = '"origin":"https://example.org"'
    e = {
        "get": '{"type":"webauthn.get","challenge":"%s",%s}' % (ch, o),
        "create-cross": '{"type":"webauthn.create","challenge":"%s",%s,'
                        '"crossOrigin":true,"topOrigin":'
                        '"https://example.com"}' % (ch, o),
        "dup-type": '{"type":"webauthn.get","type":"webauthn.create",'
                    '"challenge":"%s",%s}' % (ch, o),
        "dup-challenge": '{"type":"webauthn.get","challenge":"%s",'
                         '"challenge":"AA",%s}' % (ch, o),
        "type-unknown": '{"type":"payment.get","challenge":"%s",%s}'
                        % (ch, o),
        "challenge-padded": '{"type":"webauthn.get","challenge":"%s=",%s}'
                            % (b64u(b"\x01" * 31), o),
        "challenge-std-b64": '{"type":"webauthn.get","challenge":"ab+/",%s}'
                             % o,
        "challenge-noncanon": '{"type":"webauthn.get","challenge":"AB",%s}'
                              % o,
        "challenge-number": '{"type":"webauthn.get","challenge":1,%s}' % o,
        "origin-empty": '{"type":"webauthn.get","challenge":"%s",'
                        '"origin":""}' % ch,
        "origin-nul": '{"type":"webauthn.get","challenge":"%s",'
                      '"origin":"https://example.org\\u0000.evil"}' % ch,
        "origin-escaped": '{"type":"webauthn.get","challenge":"%s",'
                          '"origin":"https:\\/\\/example.org"}' % ch,
        "cross-string": '{"type":"webauthn.get","challenge":"%s",%s,'
                        '"crossOrigin":"true"}' % (ch, o),
        "top-origin-null": '{"type":"webauthn.get","challenge":"%s",%s,'
                           '"topOrigin":null}' % (ch, o),
        "unicode": '{"type":"webauthn.get","challenge":"%s","origin":'
                   '"https://\\u00e9xample.org","x":"\\ud83d\\ude00"}' % ch,
        "lone-surrogate": '{"type":"webauthn.get","challenge":"%s",%s,'
                          '"x":"\\ud800"}' % (ch, o),
        "trailing": '{"type":"webauthn.get","challenge":"%s",%s} x'
                    % (ch, o),
        "two-objects": '{"type":"webauthn.get"}{}',
        "array": '["webauthn.get"]',
        "deep": '{"x":' * 64 + '1' + '}' * 64,
        "bad-utf8": b'{"type":"webauthn.get","x":"\xc3\x28"}',
        "empty": "",
    }
    return e


def json_edges():
    """The strict JSON reader's limits, escapes and grammar corners."""
    e = {
        "depth-16": "[" * 16 + "1" + "]" * 16,
        "depth-17": "[" * 17 + "1" + "]" * 17,
        "obj-depth-16": '{"a":' * 16 + "1" + "}" * 16,
        "members-64": "{" + ",".join('"k%d":%d' % (i, i)
                                     for i in range(64)) + "}",
        "members-65": "{" + ",".join('"k%d":%d' % (i, i)
                                     for i in range(65)) + "}",
        "tokens-256": "[" + ",".join("0" * 1 for _ in range(255)) + "]",
        "tokens-257": "[" + ",".join("0" * 1 for _ in range(256)) + "]",
        "key-256": '{"%s":1}' % ("k" * 256),
        "key-257": '{"%s":1}' % ("k" * 257),
        "key-escaped-dup": '{"type":1,"\\u0074ype":2}',
        "key-surrogate-dup": '{"\\ud83d\\ude00":1,"\U0001f600":2}',
        "key-empty": '{"":1}',
        "key-empty-dup": '{"":1,"":2}',
        "surrogate-pair": '["\\ud83d\\ude00"]',
        "lone-high": '["\\ud83d"]', "lone-low": '["\\ude00"]',
        "high-high": '["\\ud83d\\ud83d"]', "nul-escape": '["\\u0000"]',
        "escapes": '["\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"]',
        "bad-escape": '["\\x41"]', "short-u": '["\\u12"]',
        "numbers": "[0,-0,1,-1,1.5,1e5,1E+5,1e-5,123456789012345678901234567890,"
                   "1e999,-1e-999]",
        "num-leading-zero": "[01]", "num-dot": "[1.]", "num-dot-lead": "[.5]",
        "num-exp-empty": "[1e]", "num-plus": "[+1]", "num-minus": "[-]",
        "literals": "[true,false,null]", "bad-literal": "[tru]",
        "scalar-string": '"x"', "scalar-number": "7", "scalar-null": "null",
        "ws": ' \t\n\r{ "a" : [ 1 , 2 ] } \r\n',
        "ws-formfeed": "{\f}", "trailing-comma": "[1,]",
        "trailing-comma-obj": '{"a":1,}', "missing-colon": '{"a" 1}',
        "unclosed": '{"a":[1,2}', "empty": "", "ws-only": "  ",
        "raw-control": '["a\x01b"]', "raw-del": '["a\x7fb"]',
        "bom": "\ufeff{}",
    }
    out = {k: v.encode("utf-8") for k, v in e.items()}
    out["bad-utf8"] = b'["\xc3\x28"]'
    out["overlong"] = b'["\xc0\xaf"]'
    out["raw-nul"] = b'["a\x00b"]'
    out["nul-after"] = b"2\x00"
    return out


def b64url_edges():
    e = {}
    for s in ["", "A", "AA", "AB", "AAA", "AAB", "AAAA", "-_-_", "AA==",
              "AA=", "A A", "ab+/", "____", "_w", "_x", "__8", "__9",
              "AAAAAAAAAAAAAAAAAAAAAAA", "\x00AAA", "\xffAA"]:
        e["s-" + (s.encode().hex() or "empty")] = s.encode("latin-1")
    return e


def response_json(c, kind, **over):
    resp = {"clientDataJSON": b64u(c["reg_cdj"] if kind == "reg"
                                   else c["auth_cdj"])}
    if kind == "reg":
        resp["attestationObject"] = b64u(c["att_obj"])
        resp["transports"] = ["usb", "internal", "hybrid", "smart-card"]
    else:
        resp["authenticatorData"] = b64u(c["auth_ad"])
        resp["signature"] = b64u(c["auth_sig"])
        resp["userHandle"] = b64u(b"user-" + c["name"].encode())
    obj = {
        "id": b64u(c["cred_id"]),
        "rawId": b64u(c["cred_id"]),
        "type": "public-key",
        "response": resp,
        "clientExtensionResults": {},
        "authenticatorAttachment": "cross-platform",
    }
    obj.update(over)
    return json.dumps(obj, separators=(",", ":"))


def split2(first, rest):
    return len(first).to_bytes(2, "big") + first + rest


def assertion_input(ad, sig, cdj, ber=False):
    if len(ad) > 255 or len(sig) > 127:
        return None
    return bytes([len(ad), len(sig) | (0x80 if ber else 0)]) + ad + sig + cdj


def ber_variant(sig):
    """The same ECDSA signature with a non-minimal INTEGER (a leading zero
    octet on r): BER, not DER."""
    assert sig[0] == 0x30 and sig[2] == 0x02
    rlen = sig[3]
    r = b"\x00" + sig[4:4 + rlen]
    rest = sig[4 + rlen:]
    body = b"\x02" + bytes([len(r)]) + r + rest
    return b"\x30" + bytes([len(body)]) + body


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else next(
        (p for p in VECTOR_PATHS if os.path.exists(p)), VECTOR_PATHS[0])
    data, cases = load_cases(path)
    by_name = {c["name"]: c for c in cases}
    cp = Corpus()

    # Vectors, each in every place it fits.
    for c in cases:
        n = "vec-" + c["name"]
        cp.add("cbor", n + "-attobj", c["att_obj"])
        cp.add("cbor", n + "-cosekey", c["cose_key"])
        cp.add("cose", n, c["cose_key"])
        cp.add("cose", n + "-sig", c["cose_key"] + c["auth_sig"])
        cp.add("auth_data", n + "-reg", c["reg_ad"])
        cp.add("auth_data", n + "-auth", c["auth_ad"])
        cp.add("client_data", n + "-reg", c["reg_cdj"])
        cp.add("client_data", n + "-auth", c["auth_cdj"])
        cp.add("b64url", n + "-credid", b64u(c["cred_id"]))
        cp.add("b64url", n + "-sig", b64u(c["auth_sig"]))
        cp.add("registration_json", n, response_json(c, "reg"))
        cp.add("assertion_json", n, response_json(c, "auth"))
        for t in ("att_none", "att_packed", "att_fido_u2f", "att_tpm",
                  "att_android_key", "att_apple"):
            cp.add(t, n, c["att_stmt"])
        cp.add("registration", n, c["att_obj"])
        cp.add("registration_split", n, split2(c["reg_cdj"], c["att_obj"]))
        a = assertion_input(c["auth_ad"], c["auth_sig"], c["auth_cdj"])
        if a is not None:
            cp.add("assertion", n, a)

    # The one assertion the harness's fixed key verifies, also in BER.
    c = by_name["none-es256"]
    cp.add("assertion", "edge-none-es256-ber",
           assertion_input(c["auth_ad"], ber_variant(c["auth_sig"]),
                           c["auth_cdj"], ber=True))
    cp.add("assertion", "edge-none-es256-ber-flag-der",
           assertion_input(c["auth_ad"], c["auth_sig"], c["auth_cdj"],
                           ber=True))
    cp.add("cose", "edge-none-es256-ber-sig",
           c["cose_key"] + ber_variant(c["auth_sig"]))

    # compound: lists of {fmt, attStmt} built from the vectors' statements.
    st = {k: Raw(by_name[k]["att_stmt"]) for k in by_name}
    sub = lambda fmt, case: {"fmt": fmt, "attStmt": st[case]}
    compounds = {
        "packed-packed": [sub("packed", "packed-es256"),
                          sub("packed", "packed-es256")],
        "packed-none": [sub("packed", "packed-es256"),
                        {"fmt": "none", "attStmt": {}}],
        "packed-tpm": [sub("packed", "packed-es256"), sub("tpm", "tpm-es256")],
        "packed-u2f-apple": [sub("packed", "packed-es256"),
                             sub("fido-u2f", "fido-u2f-es256"),
                             sub("apple", "apple-es256")],
        "android-packed": [sub("android-key", "android-key-es256"),
                           sub("packed", "packed-es256")],
        "single": [sub("packed", "packed-es256")],
        "empty": [],
        "nested": [sub("packed", "packed-es256"),
                   {"fmt": "compound",
                    "attStmt": [sub("packed", "packed-es256")]}],
        "unknown-fmt": [sub("packed", "packed-es256"),
                        {"fmt": "x-unknown", "attStmt": {}}],
        "extra-member": [sub("packed", "packed-es256"),
                         {"fmt": "packed", "attStmt": st["packed-es256"],
                          "x": 1}],
        "not-map": [sub("packed", "packed-es256"), 1],
    }
    for k, v in compounds.items():
        cp.add("att_compound", "edge-" + k, enc(v))
    for c in cases:
        cp.add("att_compound", "vec-" + c["name"], c["att_stmt"])

    # Certificates, and the extension payloads the DER reader walks.
    ca = unhex(data["attestation_ca_cert"])
    cp.add("x509", "vec-ca", ca)
    cp.add("der", "vec-ca", ca)
    seen = set()
    for c in cases:
        for i, cert in enumerate(c["x5c"]):
            if cert in seen:
                continue
            seen.add(cert)
            n = "vec-%s-x5c%d" % (c["name"], i)
            cp.add("x509", n, cert)
            cp.add("der", n, cert)
            for k, (oid, value) in enumerate(sorted(
                    cert_extensions(cert).items())):
                cp.add("der", "%s-ext%d" % (n, k), value)
    der_edges = {
        "int-0": "020100", "int-neg": "0201ff", "int-nonmin": "02020001",
        "int-nonmin-neg": "0202ffff", "int-u32max": "020500ffffffff",
        "int-too-big": "02050100000000", "int-empty": "0200",
        "enum-1": "0a0101", "seq-empty": "3000", "set": "3103020101",
        "long-len-nonmin": "04810100", "long-len": "0481" + "80" + "00" * 128,
        "len-leading-zero": "0482000100", "indefinite": "30800000",
        "high-tag": "9f1f0100", "high-tag-small": "9f1e00",
        "high-tag-3": "bf8f8f0f00", "high-tag-4": "9f8f8f8f0f00",
        "high-tag-0x80": "9f800100", "context-explicit": "a003020105",
        "truncated": "3005020101", "two": "02010102010200",
        "nested": "3006300430020500",
    }
    for k, v in der_edges.items():
        cp.add("der", "edge-" + k, unhex(v))
    cp.add("x509", "edge-empty", b"")
    cp.add("x509", "edge-ca-trailing", ca + b"\x00")
    cp.add("x509", "edge-ca-truncated", ca[:-1])

    # Hand-made edge cases.
    for k, v in cbor_edges().items():
        cp.add("cbor", "edge-" + k, v)
    for k, v in cose_edges().items():
        cp.add("cose", "edge-" + k, v)
        cp.add("cbor", "edge-cose-" + k, v)
    key = by_name["none-es256"]["cose_key"]
    for k, v in auth_data_edges(key).items():
        cp.add("auth_data", "edge-" + k, v)
    for k, v in client_data_edges().items():
        cp.add("client_data", "edge-" + k, v)
    for k, v in b64url_edges().items():
        cp.add("b64url", "edge-" + k, v)
    for t in ("att_none", "att_packed", "att_fido_u2f", "att_tpm",
              "att_android_key", "att_apple", "att_compound"):
        cp.add(t, "edge-empty-map", b"\xa0")
        cp.add(t, "edge-empty-array", b"\x80")
        cp.add(t, "edge-stmt-extra-member",
               enc({"alg": -7, "sig": b"\x30\x06\x02\x01\x01\x02\x01\x01",
                    "x5c": [b"\x30\x00"], "ver": "2.0", "x": 0}))

    c = by_name["packed-es256"]
    cp.add("registration_json", "edge-id-rawid-differ",
           response_json(c, "reg", id=b64u(b"\x01" + c["cred_id"])))
    cp.add("registration_json", "edge-type-wrong",
           response_json(c, "reg", type="password"))
    cp.add("registration_json", "edge-transports-string",
           response_json(c, "reg").replace(
               '"transports":["usb","internal","hybrid","smart-card"]',
               '"transports":"usb"'))
    cp.add("registration_json", "edge-transports-unknown",
           response_json(c, "reg").replace('"hybrid"', '"x-new",7'))
    cp.add("registration_json", "edge-padded-id",
           response_json(c, "reg", id=b64u(c["cred_id"]) + "=",
                         rawId=b64u(c["cred_id"]) + "="))
    cp.add("registration_json", "edge-dup-response",
           response_json(c, "reg")[:-1] + ',"response":{}}')
    cp.add("registration_json", "edge-ext-not-object",
           response_json(c, "reg", clientExtensionResults=[]))
    cp.add("assertion_json", "edge-user-handle-null",
           response_json(c, "auth").replace(
               '"%s"' % b64u(b"user-packed-es256"), "null"))
    cp.add("assertion_json", "edge-user-handle-65",
           response_json(by_name["none-es256"], "auth").replace(
               b64u(b"user-none-es256"), b64u(b"u" * 65)))
    cp.add("assertion_json", "edge-id-empty",
           response_json(c, "auth", id="", rawId=""))
    cp.add("assertion_json", "edge-response-missing",
           '{"id":"AA","rawId":"AA","type":"public-key"}')

    # json: both response forms, both clientDataJSONs, the JSON edges of
    # the other targets, and the reader's own limits and escapes.
    for c in cases:
        n = "vec-" + c["name"]
        cp.add("json", n, cp.files["registration_json"][n])
        cp.add("json", n + "-auth", cp.files["assertion_json"][n])
        cp.add("json", n + "-cdj-reg", c["reg_cdj"])
        cp.add("json", n + "-cdj-auth", c["auth_cdj"])
    for t in ("registration_json", "assertion_json"):
        for k, v in cp.files[t].items():
            if k.startswith("edge-"):
                cp.add("json", k, v)
    for k, v in client_data_edges().items():
        cp.add("json", "edge-cd-" + k[5:] if k.startswith("edge-") else
               "edge-cd-" + k, v)
    for k, v in json_edges().items():
        cp.add("json", "edge-j-" + k, v)

    total = cp.write()
    write_vectors_c(data, cases, os.path.join(HERE, "fuzz_vectors.c"))
    print("seeds: %d files, %d bytes; fuzz/fuzz_vectors.c: %d cases"
          % (sum(len(f) for f in cp.files.values()), total,
             len(FIXED_CASES)))


if __name__ == "__main__":
    main()
