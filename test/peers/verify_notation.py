#!/usr/bin/python3
"""Independent verifier for Notary Project envelopes (a test peer; run with /usr/bin/python3).

JWS with jwcrypto, COSE with cbor2 + cryptography, plus the certificate chain to a given root
(issuer/subject, signatures, validity at the signing time, CA flags, leaf KU/EKU) and the payload's
target descriptor. Usage:

  verify_notation.py --root ROOT.pem [--expect-descriptor JSON] [--expect-alg ALG] ENVELOPE.(jws|cose)...

Prints one line per envelope, "OK <format> <alg>", or "FAIL <file>: <reason>" and exits 1.
"""
import argparse
import base64
import datetime
import json
import sys

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import ExtendedKeyUsageOID
from jwcrypto import jwk, jws

PAYLOAD_CTY = "application/vnd.cncf.notary.payload.v1+json"
SCHEME = "io.cncf.notary.signingScheme"
SIGNING_TIME = "io.cncf.notary.signingTime"
EXPIRY = "io.cncf.notary.expiry"
AGENT = "io.cncf.notary.signingAgent"
COSE_ALGS = {-7: "ES256", -35: "ES384", -36: "ES512", -37: "PS256", -38: "PS384", -39: "PS512"}
HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


class Fail(Exception):
    pass


def b64url_decode(text):
    if "=" in text:
        raise Fail("padded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def leaf_alg(cert):
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return {2048: "PS256", 3072: "PS384", 4096: "PS512"}.get(key.key_size) or fail("RSA size %d" % key.key_size)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}[key.curve.name]
    raise Fail("leaf key type not allowed by Notation: %r" % type(key))


def fail(msg):
    raise Fail(msg)


def check_signed_by(cert, issuer):
    key = issuer.public_key()
    h = cert.signature_hash_algorithm
    if isinstance(h, hashes.SHA1):
        raise Fail("SHA-1 certificate signature")
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), h)
        else:
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(h))
    except InvalidSignature:
        raise Fail("certificate %s is not signed by %s" % (cert.subject.rfc4514_string(), issuer.subject.rfc4514_string()))


def check_chain(ders, root, at):
    certs = [x509.load_der_x509_certificate(d) for d in ders]
    if certs[-1].public_bytes(serialization_der()) != root.public_bytes(serialization_der()):
        raise Fail("chain does not end in the trusted root")
    for i, cert in enumerate(certs):
        if not (cert.not_valid_before <= at.replace(tzinfo=None) <= cert.not_valid_after):
            raise Fail("certificate %d not valid at signing time" % i)
        issuer = certs[i + 1] if i + 1 < len(certs) else cert
        if cert.issuer != issuer.subject:
            raise Fail("certificate %d issuer does not match the next subject" % i)
        check_signed_by(cert, issuer)
        if i > 0:
            bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
            if not bc.ca:
                raise Fail("issuer %d is not a CA" % i)
            ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
            if not ku.key_cert_sign:
                raise Fail("issuer %d lacks keyCertSign" % i)
    leaf = certs[0]
    try:
        ku_ext = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        raise Fail("leaf has no keyUsage")
    ku = ku_ext.value
    if not ku_ext.critical or not ku.digital_signature:
        raise Fail("leaf keyUsage must be critical with digitalSignature")
    if ku.key_encipherment or ku.data_encipherment or ku.key_agreement or ku.key_cert_sign or ku.crl_sign:
        raise Fail("leaf has forbidden key usages")
    try:
        eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        bad = {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION,
               ExtendedKeyUsageOID.TIME_STAMPING, ExtendedKeyUsageOID.OCSP_SIGNING}
        if any(o in bad for o in eku):
            raise Fail("leaf has a forbidden EKU")
    except x509.ExtensionNotFound:
        pass
    try:
        if leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise Fail("leaf is a CA")
    except x509.ExtensionNotFound:
        pass
    return leaf


def serialization_der():
    from cryptography.hazmat.primitives.serialization import Encoding
    return Encoding.DER


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def verify_jws(raw, root):
    env = json.loads(raw)
    if set(env) != {"payload", "protected", "header", "signature"}:
        raise Fail("unexpected top-level members %s" % sorted(env))
    protected = json.loads(b64url_decode(env["protected"]))
    b64url_decode(env["signature"])
    b64url_decode(env["payload"])
    if protected.get("cty") != PAYLOAD_CTY or protected.get(SCHEME) != "notary.x509":
        raise Fail("bad cty or signing scheme")
    crit = protected.get("crit")
    if not crit or crit[0] != SCHEME or any(c not in protected for c in crit):
        raise Fail("bad crit %r" % crit)
    if EXPIRY in protected and EXPIRY not in crit:
        raise Fail("expiry not critical")
    at = parse_time(protected[SIGNING_TIME])
    chain = [base64.b64decode(c, validate=True) for c in env["header"]["x5c"]]
    leaf = check_chain(chain, root, at)
    alg = leaf_alg(leaf)
    if protected["alg"] != alg:
        raise Fail("alg %s does not match the leaf key (%s)" % (protected["alg"], alg))
    registry = {h: jws.JWSEHeaderParameter(h, False, True, None) for h in (SCHEME, SIGNING_TIME, EXPIRY)}
    obj = jws.JWS(header_registry=registry)
    obj.deserialize(raw)
    obj.verify(jwk.JWK.from_pyca(leaf.public_key()), alg=alg)
    return alg, json.loads(obj.payload)


def verify_cose(raw, root):
    msg = cbor2.loads(raw)
    if not isinstance(msg, cbor2.CBORTag) or msg.tag != 18:
        raise Fail("not a tagged COSE_Sign1")
    prot_bytes, unprot, payload, sig = msg.value
    prot = cbor2.loads(prot_bytes)
    if cbor2.dumps(prot, canonical=True, datetime_as_timestamp=True) != prot_bytes:
        raise Fail("protected header is not deterministic CBOR")
    if prot.get(3) != PAYLOAD_CTY or prot.get(SCHEME) != "notary.x509" or prot.get(2, [None])[0] != SCHEME:
        raise Fail("bad content type, signing scheme or crit")
    if EXPIRY in prot and EXPIRY not in prot[2]:
        raise Fail("expiry not critical")
    signing_time = prot[SIGNING_TIME]  # cbor2 turns tag 1 into a datetime
    if not isinstance(signing_time, datetime.datetime):
        raise Fail("signing time is not tag 1")
    chain = unprot[33]
    if not isinstance(chain, list):
        raise Fail("x5chain is not an array")
    leaf = check_chain(chain, root, signing_time)
    alg = COSE_ALGS.get(prot[1]) or fail("unknown COSE alg %r" % prot[1])
    if alg != leaf_alg(leaf):
        raise Fail("alg does not match the leaf key")
    tbs = cbor2.dumps(["Signature1", prot_bytes, b"", payload])
    h = HASHES[alg[2:]]()
    key = leaf.public_key()
    try:
        if alg.startswith("ES"):
            n = len(sig) // 2
            der = utils.encode_dss_signature(int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big"))
            key.verify(der, tbs, ec.ECDSA(h))
        else:
            key.verify(sig, tbs, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
    except InvalidSignature:
        raise Fail("COSE signature does not verify")
    return alg, json.loads(payload)


def main():
    global ROOT
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--expect-descriptor")
    ap.add_argument("--expect-alg")
    ap.add_argument("envelopes", nargs="+")
    args = ap.parse_args()
    ROOT = x509.load_pem_x509_certificate(open(args.root, "rb").read())
    status = 0
    for path in args.envelopes:
        raw = open(path, "rb").read()
        try:
            fmt = "COSE" if raw[:1] == b"\xd2" else "JWS"
            alg, payload = verify_cose(raw, ROOT) if fmt == "COSE" else verify_jws(raw.decode(), ROOT)
            if set(payload) != {"targetArtifact"}:
                raise Fail("payload has members other than targetArtifact")
            if args.expect_descriptor and payload["targetArtifact"] != json.loads(args.expect_descriptor):
                raise Fail("payload descriptor %r is not the expected one" % payload["targetArtifact"])
            if args.expect_alg and alg != args.expect_alg:
                raise Fail("alg %s, expected %s" % (alg, args.expect_alg))
            print("OK %s %s" % (fmt, alg))
        except Exception as e:  # any failure, including jwcrypto's, is a verification failure
            print("FAIL %s: %s: %s" % (path, type(e).__name__, e))
            status = 1
    sys.exit(status)


ROOT = None
if __name__ == "__main__":
    main()
