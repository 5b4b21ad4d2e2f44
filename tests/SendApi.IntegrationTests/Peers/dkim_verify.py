#!/usr/bin/python3
"""Verifies the first DKIM signature of a message read on stdin with Debian's python3-dkim
(dkimpy), an implementation independent of ours. dkimverify asks the system resolver; the tests'
keys are published only by their dnsmasq, so the TXT record is looked up there, through dnspython,
at the address and port given as arguments. Exit 0: the signature verifies; 1: it does not."""
import sys

import dkim
import dns.resolver
import dns.rdatatype

server, port = sys.argv[1], int(sys.argv[2])
resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = [server]
resolver.port = port


def txt(name, timeout=5):
    try:
        answer = resolver.resolve(name.decode("ascii"), dns.rdatatype.TXT, lifetime=timeout)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    return b"".join(answer[0].strings)


message = sys.stdin.buffer.read()
ok = dkim.verify(message, dnsfunc=txt)
print("signature ok" if ok else "signature FAILED")
sys.exit(0 if ok else 1)
