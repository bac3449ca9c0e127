"""The usual SSRF list: each URL must be refused before a connection is attempted."""

from __future__ import annotations

LOOPBACK = [
    "http://127.0.0.1/",
    "http://127.0.0.1:6379/",
    "http://127.1/",
    "http://127.000.000.001/",
    "http://0177.0.0.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.0x0.0x0.0x1/",
    "http://0/",
    "http://0.0.0.0:8188/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://[::1]/",
    "http://[::]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
]
PRIVATE = [
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fd00::1]/",
    "http://[fc00::1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://169.254.1.1/",
    "http://[fe80::1]/",
]
METADATA = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/",
    "http://2852039166/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata.google.internal./",
    "http://[fd00:ec2::254]/",
]
NAMES = [  # names a hostile DNS answers with loopback / private addresses (tests.security.netspy)
    "http://evil.loopback.test/",
    "https://evil.loopback.test:8443/x",
    "http://lan.private.test/",
]
SCHEMES = [
    "file:///etc/passwd",
    "gopher://evil.loopback.test:6379/_INFO",
    "ftp://evil.public.test/x",
    "dict://evil.public.test:11211/",
    "ldap://evil.public.test/",
    "jar:http://evil.public.test/x!/",
    "javascript:alert(1)",
    "ws://evil.public.test/",
    "//evil.public.test/x",
]
CREDENTIALS = [
    "http://user:pass@evil.public.test/",
    "http://evil.public.test@127.0.0.1/",
    "http://127.0.0.1#@evil.public.test/",
]

ADDRESSES = LOOPBACK + PRIVATE + METADATA + NAMES
ALL = ADDRESSES + SCHEMES + CREDENTIALS
